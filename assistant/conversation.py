"""Conversation context, kept per conversation id under COMMONS_HOME so that separate
CLI calls with the same --conversation share follow-up context."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path


class Conversations:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._mem: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _path(self, cid: str) -> Path:
        return self.folder / (hashlib.sha256(cid.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".json")

    def load(self, cid: str | None) -> dict:
        if not cid:
            return {}
        with self._lock:
            if cid in self._mem:
                return dict(self._mem[cid])
        p = self._path(cid)
        try:
            return json.loads(p.read_text())
        except (OSError, ValueError):
            return {}

    def save(self, cid: str | None, state: dict) -> None:
        if not cid:
            return
        with self._lock:
            self._mem[cid] = dict(state)
        self.folder.mkdir(parents=True, exist_ok=True)
        p = self._path(cid)
        tmp = p.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, p)

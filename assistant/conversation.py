"""Conversation context, kept per conversation id under COMMONS_HOME so that separate
CLI calls with the same --conversation share follow-up context.  A context belongs to the
account that made it: anyone else using the same id starts afresh (one person's question is
never the context of another's)."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path


class Conversations:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._mem: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _path(self, cid: str) -> Path:
        return self.folder / (hashlib.sha256(cid.encode("utf-8", "surrogatepass")).hexdigest()[:32] + ".json")

    @staticmethod
    def _key(cid: str, owner: str | None) -> str:
        """The context's key: the conversation id within its owner's own (an id typed by another
        account, or by someone not signed in, names another conversation)."""
        return cid if owner is None else f"{owner}\x00{cid}"

    def load(self, cid: str | None, owner: str | None = None) -> dict:
        if not cid:
            return {}
        cid = self._key(cid, owner)
        with self._lock:
            if cid in self._mem:
                return dict(self._mem[cid])
        try:
            return json.loads(self._path(cid).read_text())
        except (OSError, ValueError):
            return {}

    def save(self, cid: str | None, state: dict, owner: str | None = None) -> None:
        if not cid:
            return
        cid = self._key(cid, owner)
        with self._lock:
            self._mem[cid] = dict(state)
        self.folder.mkdir(parents=True, exist_ok=True)
        p = self._path(cid)
        tmp = p.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, p)

    def purge(self, older_than_days: float, now: float | None = None) -> int:
        """Delete the context files not written for ``older_than_days``; how many."""
        cutoff = (time.time() if now is None else now) - older_than_days * 86400
        n = 0
        for f in self.folder.glob("*.json") if self.folder.is_dir() else ():
            try:
                if f.stat().st_mtime < cutoff:
                    f.unlink()
                    n += 1
            except OSError:
                continue
        with self._lock:
            self._mem.clear()
        return n

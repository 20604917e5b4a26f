"""The one settings object: named defaults, overridden by environment variables.

Every setting is documented in README.md (a test checks that), and read once when the
pipeline is built.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from assistant.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[1]

# Nothing in this product downloads at run time.  Set before any Hugging Face import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@dataclass(frozen=True)
class Settings:
    """Product settings.  ``ENV`` maps each field to its environment variable."""

    home: Path = REPO_ROOT / ".commons"
    data_dir: Path = REPO_ROOT / "data"
    query_timeout_s: float = 5.0
    row_cap: int = 5000
    max_question_chars: int = 2000
    default_role: str = "resident"
    default_purpose: str = "personal"
    planner: str = "rules"
    fuzzy_place_cutoff: int = 88

    ENV = {
        "home": "COMMONS_HOME",
        "data_dir": "COMMONS_DATA_DIR",
        "query_timeout_s": "COMMONS_QUERY_TIMEOUT_S",
        "row_cap": "COMMONS_ROW_CAP",
        "max_question_chars": "COMMONS_MAX_QUESTION_CHARS",
        "default_role": "COMMONS_DEFAULT_ROLE",
        "default_purpose": "COMMONS_DEFAULT_PURPOSE",
        "planner": "COMMONS_PLANNER",
        "fuzzy_place_cutoff": "COMMONS_FUZZY_PLACE_CUTOFF",
    }

    @classmethod
    def load(cls, environ: dict[str, str] | None = None, **overrides) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict = {}
        for f in fields(cls):
            var = cls.ENV.get(f.name)
            if var and env.get(var) not in (None, ""):
                values[f.name] = _convert(f.name, var, env[var], f.type)
        values.update(overrides)
        settings = cls(**values)
        if settings.planner not in ("rules", "llm"):
            raise ConfigError(f"COMMONS_PLANNER must be 'rules' or 'llm', not {settings.planner!r}.")
        return settings

    @property
    def store_path(self) -> Path:
        return Path(self.home) / "commons.duckdb"

    @property
    def audit_path(self) -> Path:
        return Path(self.home) / "audit.jsonl"

    @property
    def conversations_dir(self) -> Path:
        return Path(self.home) / "conversations"


def _convert(name: str, var: str, raw: str, typ) -> object:
    typ = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    try:
        if typ == "Path":
            return Path(raw).expanduser()
        if typ == "float":
            value = float(raw)
        elif typ == "int":
            value = int(raw)
        else:
            return raw
    except ValueError:
        raise ConfigError(f"{var}={raw!r} is not a valid {typ} (setting '{name}').") from None
    if value <= 0:
        raise ConfigError(f"{var} must be positive, got {raw!r}.")
    return value

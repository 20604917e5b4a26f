"""The one settings object: named defaults, overridden by environment variables.

Every setting is documented in README.md (a test checks that), and read once when the
pipeline is built.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from kernel.errors import ConfigError

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
    planner: str = "understanding"
    fuzzy_place_cutoff: int = 88
    # Documentation search: "" = the StaticEmbedding the commons trains on its own text at
    # build time; otherwise a sentence-transformers model name (already cached) or folder.
    embedding_model: str = ""
    # PII names: "" = a blank spaCy pipeline with the commons' name patterns, built locally;
    # otherwise an installed spaCy model name or folder (e.g. en_core_web_lg) for real NER.
    spacy_model: str = ""
    # Accounts that may sign in (every role but anonymous residents; hashed passwords; see README).
    users_file: Path = REPO_ROOT / "data" / "users.yaml"
    # Optional language model (assistant/llm.py): "" = off.  "provider:model" for LangChain's
    # init_chat_model, e.g. "ollama:llama3.1" or "openai:gpt-4o-mini" (needs the [llm] extra).
    llm_model: str = ""
    llm_base_url: str = ""          # the model server (Ollama host or OpenAI-compatible /v1)
    llm_mode: str = "fallback"      # "fallback": only when the rules find no plan; "always"
    llm_phrasing: str = "off"       # "on": the model rewords answers, numbers checked against the table
    # Where checked SQL runs (retrieval/engines.py): "duckdb" on this machine, or "spark"
    # (Spark SQL over the same Parquet files; needs pyspark and Java 17) at ``spark_master``.
    engine: str = "duckdb"
    spark_master: str = "local[2]"
    # Documentation index: "" = a persistent Chroma folder under COMMONS_HOME/index; a host
    # name = a Chroma server (``chroma run``) at chroma_host:chroma_port, through HttpClient.
    chroma_host: str = ""
    chroma_port: int = 8000
    # The JSON API (``commons serve``, assistant/api.py): calls a minute per token, and the
    # largest request body accepted (bytes; 0 = no limit).
    api_rate_per_min: int = 60
    api_max_body_bytes: int = 16384
    # Governance state (review queue, ledger, accounts' sessions and lockouts, projects, API tokens,
    # audit chain; guardrails/govdb.py): "" = SQLite and the audit file under COMMONS_HOME; a
    # postgresql:// URL = one shared database.
    governance_url: str = ""
    # The app's chat transcripts and answer references (assistant/transcripts.py) are kept this
    # many days, then purged; the browser's cookie that finds them lasts as long.
    transcript_retention_days: int = 30
    # The audit chain's signing key (Ed25519) and the witness of its head: both held apart from
    # COMMONS_HOME, so whoever can write the home cannot rewrite, cut or recompute the chain.
    audit_key_file: Path = Path("~/.config/commons-assistant/audit-signing.key").expanduser()
    audit_witness: Path = Path("~/.config/commons-assistant/witness").expanduser()
    # The public key `commons audit verify` checks signatures with: "" = the .pub file written
    # beside the signing key; otherwise 64 hex digits or a file holding them (publishable).
    audit_verify_key: str = ""
    # The pseudonymisation key (HMAC of direct identifiers, participation links): "" = the legacy
    # place, secret.key under COMMONS_HOME; better a file outside it, or the key itself (64 hex
    # digits) from the environment, so whoever can read the data cannot recompute the pseudonyms.
    pseudonym_key_file: str = ""
    pseudonym_key: str = field(default="", repr=False)
    # Conversations (context files), the app's transcripts and the error log are purged after this
    # many days (the audit chain is kept and verifies across a purge).
    purge_after_days: int = 90

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
        "embedding_model": "COMMONS_EMBEDDING_MODEL",
        "spacy_model": "COMMONS_SPACY_MODEL",
        "users_file": "COMMONS_USERS_FILE",
        "llm_model": "COMMONS_LLM_MODEL",
        "llm_base_url": "COMMONS_LLM_BASE_URL",
        "llm_mode": "COMMONS_LLM_MODE",
        "llm_phrasing": "COMMONS_LLM_PHRASING",
        "engine": "COMMONS_ENGINE",
        "spark_master": "COMMONS_SPARK_MASTER",
        "chroma_host": "COMMONS_CHROMA_HOST",
        "chroma_port": "COMMONS_CHROMA_PORT",
        "api_rate_per_min": "COMMONS_API_RATE_PER_MIN",
        "api_max_body_bytes": "COMMONS_API_MAX_BODY_BYTES",
        "governance_url": "COMMONS_GOVERNANCE_URL",
        "transcript_retention_days": "COMMONS_TRANSCRIPT_RETENTION_DAYS",
        "audit_key_file": "COMMONS_AUDIT_KEY_FILE",
        "audit_witness": "COMMONS_AUDIT_WITNESS",
        "audit_verify_key": "COMMONS_AUDIT_VERIFY_KEY",
        "pseudonym_key_file": "COMMONS_PSEUDONYM_KEY_FILE",
        "pseudonym_key": "COMMONS_PSEUDONYM_KEY",
        "purge_after_days": "COMMONS_PURGE_AFTER_DAYS",
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
        if settings.default_role != "resident":
            raise ConfigError("COMMONS_DEFAULT_ROLE can only be 'resident': every other role comes from a signed-in "
                              f"account, never from configuration (got {settings.default_role!r}).")
        if settings.planner not in ("understanding", "rules", "llm"):
            raise ConfigError(f"COMMONS_PLANNER must be 'understanding', 'rules' or 'llm', not {settings.planner!r}.")
        if settings.llm_mode not in ("fallback", "always"):
            raise ConfigError(f"COMMONS_LLM_MODE must be 'fallback' or 'always', not {settings.llm_mode!r}.")
        if settings.engine not in ("duckdb", "spark"):
            raise ConfigError(f"COMMONS_ENGINE must be 'duckdb' or 'spark', not {settings.engine!r}.")
        if settings.llm_phrasing not in ("off", "on"):
            raise ConfigError(f"COMMONS_LLM_PHRASING must be 'off' or 'on', not {settings.llm_phrasing!r}.")
        home = Path(settings.home).expanduser().resolve()
        for name in ("audit_key_file", "audit_witness"):
            where = Path(getattr(settings, name)).expanduser().resolve()
            if where == home or home in where.parents:
                raise ConfigError(f"{cls.ENV[name]} ({where}) must be outside COMMONS_HOME ({home}): whoever can "
                                  "write the home could otherwise rewrite the audit chain.")
        if settings.pseudonym_key_file:
            where = Path(settings.pseudonym_key_file).expanduser().resolve()
            if where == home or home in where.parents:
                raise ConfigError(f"COMMONS_PSEUDONYM_KEY_FILE ({where}) must be outside COMMONS_HOME ({home}): the "
                                  "key that makes the pseudonyms must not sit beside the data it protects.")
        if settings.pseudonym_key:
            try:
                ok = len(bytes.fromhex(settings.pseudonym_key.strip())) >= 32
            except ValueError:
                ok = False
            if not ok:
                raise ConfigError("COMMONS_PSEUDONYM_KEY must be at least 64 hex digits (32 bytes), e.g. the "
                                  "output of `python -c \"import secrets; print(secrets.token_hex(32))\"`.")
        return settings

    @property
    def governance_dir(self) -> Path:
        """Approved digests of the governance files and the approved users file (signed)."""
        return Path(self.home) / "governance"

    @property
    def store_path(self) -> Path:
        return Path(self.home) / "commons.duckdb"

    @property
    def audit_path(self) -> Path:
        return Path(self.home) / "audit.jsonl"

    @property
    def error_log_path(self) -> Path:
        """Internal errors with their references and tracebacks (no identifiers, no questions)."""
        return Path(self.home) / "errors.jsonl"

    @property
    def conversations_dir(self) -> Path:
        return Path(self.home) / "conversations"

    @property
    def transcripts_path(self) -> Path:
        """The app's chat transcripts and answer references (SQLite; redacted text only)."""
        return Path(self.home) / "transcripts.sqlite"

    @property
    def governance_db(self) -> Path:
        """Review queue and the ledger of what each actor has been given (SQLite)."""
        return Path(self.home) / "governance.sqlite"

    @property
    def participation_db(self) -> Path:
        """The participation register: references, consent changes, corrections (SQLite)."""
        return Path(self.home) / "participation.sqlite"

    @property
    def index_dir(self) -> Path:
        """The persistent Chroma documentation index and the trained embedding model."""
        return Path(self.home) / "index"

    @property
    def published_dir(self) -> Path:
        """Contributed datasets after ingestion (identifiers removed), with their datasheets."""
        return Path(self.home) / "published"

    @property
    def contributions_dir(self) -> Path:
        """Raw contributions and uploads waiting for a steward (never queried)."""
        return Path(self.home) / "contributions"

    @property
    def scale_dir(self) -> Path:
        """The SYNTHETIC national-scale commons (Parquet + its own catalogue; eval/benchmark_scale.py)."""
        return Path(self.home) / "scale"

    @property
    def secret_key_path(self) -> Path:
        """Key for pseudonymising identifiers (created on first use, never leaves the machine):
        COMMONS_PSEUDONYM_KEY_FILE when set (outside the home), else the legacy secret.key."""
        if self.pseudonym_key_file:
            return Path(self.pseudonym_key_file).expanduser()
        return Path(self.home) / "secret.key"

    @property
    def key_outside_home(self) -> bool:
        return bool(self.pseudonym_key or self.pseudonym_key_file)


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

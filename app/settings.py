"""Typed settings: a frozen dataclass from ``config/<environment>.toml`` and the environment.

The TOML files (``config/``) and the migrations (``migrations/``) sit at the top of a checkout;
the wheel carries them inside the ``app`` package (``setup.py``), so an installed app finds them
next to this module. Secrets never come from ``config/``: the secret key and
the master keys are read from ``TUKIVERKKO_SECRET_KEY`` / ``TUKIVERKKO_MASTER_KEYS`` or from
the instance folder (``instance/secret_key``, ``instance/master-keys.json``, created by
``flask keys init`` and never committed).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from limits import parse_many

from sharing.keys import Keyring

Environment = Literal["development", "test", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "test", "production")
PACKAGE_DIR = Path(__file__).resolve().parent


def _data_dir(name: str, marker: str) -> Path:
    """``name`` inside the installed package, else at the top of the checkout."""
    installed = PACKAGE_DIR / name
    return installed if (installed / marker).is_file() else PACKAGE_DIR.parent / name


CONFIG_DIR = _data_dir("config", "production.toml")
MIGRATIONS_DIR = _data_dir("migrations", "env.py")
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
MASTER_KEY_FILE = "master-keys.json"
CHECKPOINT_FILE = "access-log-checkpoints.jsonl"
MIN_SECRET_KEY_LENGTH = 32
MEMORY_STORAGE_SCHEMES = frozenset({"memory", "async+memory"})
RATE_LIMITS = (
    "sign_in_failures_per_address",
    "sign_in_failures_per_account",
    "tokens_per_account",
    "code_failures_per_address",
)


class ConfigError(RuntimeError):
    """Raised when settings are missing or unsafe; the message says how to fix it."""


@dataclass(frozen=True)
class Settings:
    environment: Environment
    database_url: str
    instance_path: Path
    secret_key: str | None = field(default=None, repr=False)
    keyring: Keyring | None = field(default=None, repr=False)
    keyring_file: Path | None = None  # where the keyring was read from; None: the environment
    session_cookie_secure: bool = True
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19456
    argon2_parallelism: int = 1
    staff_idle_minutes: int = 30
    client_idle_minutes: int = 10
    # The absolute lifetime of a sign-in (``app.accounts``), however active it is.
    staff_session_hours: int = 12
    client_session_hours: int = 2
    # How long a closed case is kept: None (the default) by its service task, from the one
    # table in ``app.maintenance.retention`` (703/2023 annex); a number of years overrides the
    # table for every task (set ``retention_years`` in the environment's config file).
    retention_years: int | None = None
    # The client's log request (``app.log_requests``): answered within this many days of the
    # request, extendable once by a reasoned decision by the second number of days.
    log_request_days: int = 30
    log_request_extension_days: int = 60
    # The client's "who has looked at my information" page: by default the organisation and
    # role and the date only, not staff names or exact times (KHO:2025:51 accepted that).
    log_show_staff_names: bool = False
    log_show_exact_times: bool = False
    # The log review flags a user who opens this many different clients within this many
    # minutes (``app.log_review.rules.flags``), and one who gives a work task as the reason
    # for this many different clients in the period reviewed.
    log_review_many_clients: int = 20
    log_review_many_clients_minutes: int = 60
    log_review_work_tasks: int = 3
    # Production runs on PostgreSQL; SQLite (one node, one writer at a time) only when the
    # operator says so for a single-node pilot (TUKIVERKKO_ALLOW_SQLITE=1).
    allow_sqlite: bool = False
    # The security log (``app.security_log``): JSON lines to this file when set
    # (TUKIVERKKO_SECURITY_LOG), else with the other logs on stderr under its own logger name.
    security_log_file: Path | None = None
    # The site's origin as users reach it (TUKIVERKKO_PUBLIC_URL, required in production):
    # every absolute URL is built from it, never from the request's Host header.
    public_url: str = "http://localhost"
    # How many reverse proxies stand in front of the app (TUKIVERKKO_PROXY_COUNT; nginx: 1):
    # the client's address and scheme are taken from that many X-Forwarded-* entries.
    proxy_count: int = 0
    # Where rate-limit counters live (TUKIVERKKO_RATELIMIT_STORAGE_URL): empty for the app's
    # database, or a `limits` storage URL such as redis://host:6379 (never memory:// in
    # production: each worker would count alone).
    ratelimit_storage_url: str = ""
    # Rate limits (`limits` notation; see app/rate_limits.py for why these numbers). Failures
    # count, successes do not; each window starts at its first failure.
    sign_in_failures_per_address: str = "20 per 15 minutes; 100 per day"
    sign_in_failures_per_account: str = "5 per minute; 10 per 15 minutes; 20 per day"
    tokens_per_account: str = "30 per hour"
    code_failures_per_address: str = "10 per 15 minutes; 50 per day"
    # Staff (caseworkers, partner staff, administrators) must set up a second factor (TOTP)
    # before anything else works: on in production, off in development and tests unless
    # TUKIVERKKO_REQUIRE_SECOND_FACTOR=1 says so. Staff who have one are asked for it anyway.
    require_second_factor: bool = False
    # psycopg prepares a statement on the server after its fifth run on a connection. Behind
    # PgBouncer in transaction mode before 1.21 (Debian 12 has 1.18) the next transaction may
    # get another server connection, without that statement (or with another of the same
    # name): TUKIVERKKO_DATABASE_PREPARED_STATEMENTS=0 turns preparing off.
    database_prepared_statements: bool = True
    # The access log's signed checkpoints (`flask maintenance run`): an append-only file
    # outside the database (None: CHECKPOINT_FILE in the instance folder), and optionally a
    # syslog target for each line ("/dev/log", or "host:port" over UDP).
    checkpoint_file: Path | None = None
    checkpoint_syslog: str | None = None
    # The controller's details on the public privacy notice and accessibility statement
    # (``/privacy``, ``/accessibility``): the wellbeing services county that runs this instance
    # fills them in its config file. Empty: the pages say "the wellbeing services county".
    controller_name: str = ""
    controller_contact: str = ""  # address, telephone or e-mail of the registry office
    data_protection_officer_contact: str = ""
    accessibility_feedback_contact: str = ""  # where users report accessibility problems
    # E-mail (``app.mail``, sent by `flask outbox send`): off while ``smtp_host`` is empty.
    # ``smtp_security``: "starttls" (port 587), "tls" (implicit TLS, port 465), or "none"
    # (never in production). The password comes from TUKIVERKKO_SMTP_PASSWORD only.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str | None = field(default=None, repr=False)
    # A CA bundle to trust for the SMTP server instead of the system's (TUKIVERKKO_SMTP_CA_FILE).
    smtp_ca_file: Path | None = None
    mail_from: str = ""
    # Notifications wait through these hours, Helsinki time ("21-08"; empty: none).
    mail_quiet_hours: str = "21-08"

    @property
    def mail_enabled(self) -> bool:
        """Whether e-mail is configured (an SMTP server to send through)."""
        return bool(self.smtp_host)

    # Statistics (``app.statistics.disclosure``): a count under this is shown as "< 5", a
    # median or share only over at least this many clients.
    statistics_threshold: int = 5

    @property
    def checkpoints_path(self) -> Path:
        """Where the access log's checkpoints are written."""
        return self.checkpoint_file or self.instance_path / CHECKPOINT_FILE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings for ``TUKIVERKKO_ENV`` (default: development).

        :raises ConfigError: when production lacks a secret, or a value is invalid.
        """
        env = os.environ if environ is None else environ
        name = env.get("TUKIVERKKO_ENV", "development")
        if name not in ENVIRONMENTS:
            raise ConfigError(
                f"TUKIVERKKO_ENV must be one of {', '.join(ENVIRONMENTS)}, not {name!r}"
            )
        environment: Environment = name  # narrowed by the check above
        with (CONFIG_DIR / f"{environment}.toml").open("rb") as fh:
            values = tomllib.load(fh)
        # Default: ./instance in the working directory (the checkout for `make run`); an
        # installed app sets TUKIVERKKO_INSTANCE_PATH.
        instance = Path(env.get("TUKIVERKKO_INSTANCE_PATH", "instance")).resolve()
        database_url = env.get("TUKIVERKKO_DATABASE_URL") or str(values.pop("database_url"))
        values.pop("database_url", None)
        if (required := env.get("TUKIVERKKO_REQUIRE_SECOND_FACTOR")) is not None:
            values["require_second_factor"] = _flag("TUKIVERKKO_REQUIRE_SECOND_FACTOR", required)
        settings = cls(
            environment=environment,
            database_url=database_url.replace("{instance}", str(instance)),
            instance_path=instance,
            secret_key=_read_secret(env, "TUKIVERKKO_SECRET_KEY", instance / SECRET_KEY_FILE),
            keyring=_read_keyring(env, instance / MASTER_KEY_FILE),
            keyring_file=None if env.get("TUKIVERKKO_MASTER_KEYS") else instance / MASTER_KEY_FILE,
            allow_sqlite=env.get("TUKIVERKKO_ALLOW_SQLITE", "") == "1",
            security_log_file=Path(log) if (log := env.get("TUKIVERKKO_SECURITY_LOG")) else None,
            database_prepared_statements=env.get("TUKIVERKKO_DATABASE_PREPARED_STATEMENTS") != "0",
            checkpoint_file=(
                Path(env["TUKIVERKKO_CHECKPOINT_FILE"]).resolve()
                if env.get("TUKIVERKKO_CHECKPOINT_FILE")
                else None
            ),
            checkpoint_syslog=env.get("TUKIVERKKO_CHECKPOINT_SYSLOG") or None,
            smtp_password=env.get("TUKIVERKKO_SMTP_PASSWORD") or None,
            smtp_ca_file=Path(ca) if (ca := env.get("TUKIVERKKO_SMTP_CA_FILE")) else None,
            **_deployment(env, values),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse unsafe production settings with a message that says how to fix them.

        :raises ConfigError: when a value is invalid (``check_values``); in production, when a
            secret or the public URL is missing, a secret is weak, SQLite is not allowed, or
            rate limits would be kept in each worker's memory.
        """
        self.check_values()
        if self.environment != "production":
            return
        fix = (
            "set it in the environment or run `flask --app app keys init` with "
            f"TUKIVERKKO_INSTANCE_PATH pointing at a private folder ({self.instance_path})"
        )
        if not self.secret_key or len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"production needs TUKIVERKKO_SECRET_KEY of at least {MIN_SECRET_KEY_LENGTH} "
                f"characters: {fix}"
            )
        if self.keyring is None:
            raise ConfigError(f"production needs master keys (TUKIVERKKO_MASTER_KEYS): {fix}")
        if not self.database_url:
            raise ConfigError(
                "production needs TUKIVERKKO_DATABASE_URL (e.g. postgresql+psycopg://…)"
            )
        if self.database_url.startswith("sqlite") and not self.allow_sqlite:
            raise ConfigError(
                "production runs on PostgreSQL (TUKIVERKKO_DATABASE_URL=postgresql+psycopg://…); "
                "SQLite only for a single-node pilot, with TUKIVERKKO_ALLOW_SQLITE=1"
            )
        if not self.session_cookie_secure:
            raise ConfigError("production must send the session cookie over HTTPS only")
        if not self.public_url:
            raise ConfigError(
                "production needs TUKIVERKKO_PUBLIC_URL, the address users reach the site at "
                "(e.g. https://tukiverkko.example.fi): links and FHIR URLs are built from it"
            )
        if urlsplit(self.ratelimit_storage_url).scheme in MEMORY_STORAGE_SCHEMES:
            raise ConfigError(
                "production cannot keep rate limits in memory (each worker would count alone): "
                "leave TUKIVERKKO_RATELIMIT_STORAGE_URL empty for the database, or give a "
                "redis:// URL"
            )

    def check_values(self) -> None:
        """Refuse values no environment can run with (any environment).

        :raises ConfigError: naming the setting and what it must be.
        """
        if self.public_url and not _is_origin(self.public_url):
            raise ConfigError(
                "TUKIVERKKO_PUBLIC_URL must be an origin: http(s)://host[:port], no path, "
                f"query or user ({self.public_url!r})"
            )
        if self.proxy_count < 0:
            raise ConfigError("TUKIVERKKO_PROXY_COUNT must be 0 or more")
        self._check_mail()
        if self.statistics_threshold < 3:
            raise ConfigError("statistics_threshold must be 3 or more")
        for name in RATE_LIMITS:
            try:
                parse_many(getattr(self, name))
            except ValueError as error:
                raise ConfigError(f"{name} is not a rate limit: {error}") from None

    def _check_mail(self) -> None:
        from app.outbox.rules import QuietHours

        if self.smtp_security not in SMTP_SECURITY:
            raise ConfigError(
                f"TUKIVERKKO_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, "
                f"not {self.smtp_security!r}"
            )
        try:
            QuietHours.parse(self.mail_quiet_hours)
        except ValueError as error:
            raise ConfigError(f"TUKIVERKKO_MAIL_QUIET_HOURS: {error}") from None
        if not self.smtp_host:
            return
        if "@" not in self.mail_from:
            raise ConfigError(
                "e-mail needs a sender address: TUKIVERKKO_MAIL_FROM (e.g. "
                "tukiverkko@example.fi) with TUKIVERKKO_SMTP_HOST"
            )
        if self.smtp_security == "none" and self.environment == "production":
            raise ConfigError(
                "production sends e-mail over TLS only: TUKIVERKKO_SMTP_SECURITY=starttls or tls"
            )


SMTP_SECURITY = ("starttls", "tls", "none")
# Settings the environment sets over the TOML file: name → (environment variable, type).
MAIL_ENVIRONMENT: dict[str, tuple[str, type[str] | type[int]]] = {
    "smtp_host": ("TUKIVERKKO_SMTP_HOST", str),
    "smtp_port": ("TUKIVERKKO_SMTP_PORT", int),
    "smtp_security": ("TUKIVERKKO_SMTP_SECURITY", str),
    "smtp_user": ("TUKIVERKKO_SMTP_USER", str),
    "mail_from": ("TUKIVERKKO_MAIL_FROM", str),
    "mail_quiet_hours": ("TUKIVERKKO_MAIL_QUIET_HOURS", str),
}


def _deployment(env: Mapping[str, str], values: dict[str, Any]) -> dict[str, Any]:
    """The TOML values with what the deployment's environment sets over them."""
    if "smtp_password" in values:
        raise ConfigError(
            "the SMTP password is read from TUKIVERKKO_SMTP_PASSWORD only, never from config/: "
            "remove smtp_password from the file"
        )
    overrides: dict[str, Any] = {}
    for name, (variable, kind) in MAIL_ENVIRONMENT.items():
        if (text := env.get(variable)) is not None:
            try:
                overrides[name] = kind(text)
            except ValueError:
                raise ConfigError(f"{variable} must be a number, not {text!r}") from None
    if (url := env.get("TUKIVERKKO_PUBLIC_URL")) is not None:
        overrides["public_url"] = url.rstrip("/")
    if (count := env.get("TUKIVERKKO_PROXY_COUNT")) is not None:
        try:
            overrides["proxy_count"] = int(count)
        except ValueError:
            raise ConfigError(f"TUKIVERKKO_PROXY_COUNT must be a number, not {count!r}") from None
    if (storage := env.get("TUKIVERKKO_RATELIMIT_STORAGE_URL")) is not None:
        overrides["ratelimit_storage_url"] = storage
    return {**values, **overrides}


def _is_origin(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and parts.path in ("", "/")
        and not (parts.query or parts.fragment or parts.username or parts.password)
    )


def _flag(var: str, value: str) -> bool:
    """A yes/no setting from the environment.

    :raises ConfigError: when the value is neither.
    """
    if value not in ("1", "0"):
        raise ConfigError(f"{var} must be 1 or 0, not {value!r}")
    return value == "1"


def _read_secret(env: Mapping[str, str], var: str, path: Path) -> str | None:
    if value := env.get(var):
        return value
    if path.is_file():
        return path.read_text().strip() or None
    return None


def _read_keyring(env: Mapping[str, str], path: Path) -> Keyring | None:
    text = _read_secret(env, "TUKIVERKKO_MASTER_KEYS", path)
    return None if text is None else Keyring.from_json(text)

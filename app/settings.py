"""Typed settings: a frozen dataclass from ``app/config/<environment>.toml`` and the environment.

The TOML files and the migrations are package data (found next to this module, so an
installed wheel finds them too). Secrets never come from ``app/config/``: the secret key and
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
from typing import Literal

from sharing.keys import Keyring

Environment = Literal["development", "test", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "test", "production")
PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_DIR = PACKAGE_DIR / "config"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
MASTER_KEY_FILE = "master-keys.json"
CHECKPOINT_FILE = "access-log-checkpoints.jsonl"
MIN_SECRET_KEY_LENGTH = 32


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
    # Client Data Act 703/2023 annex: adult social work and substance-abuse service tasks
    # are kept 10 years after the case closes.
    retention_years: int = 10
    # The client's "who has looked at my information" page: by default the organisation and
    # role and the date only, not staff names or exact times (KHO:2025:51 accepted that).
    log_show_staff_names: bool = False
    log_show_exact_times: bool = False
    # Production runs on PostgreSQL; SQLite (one node, one writer at a time) only when the
    # operator says so for a single-node pilot (TUKIVERKKO_ALLOW_SQLITE=1).
    allow_sqlite: bool = False
    # The access log's signed checkpoints (`flask maintenance run`): an append-only file
    # outside the database (None: CHECKPOINT_FILE in the instance folder), and optionally a
    # syslog target for each line ("/dev/log", or "host:port" over UDP).
    checkpoint_file: Path | None = None
    checkpoint_syslog: str | None = None

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
        settings = cls(
            environment=environment,
            database_url=database_url.replace("{instance}", str(instance)),
            instance_path=instance,
            secret_key=_read_secret(env, "TUKIVERKKO_SECRET_KEY", instance / SECRET_KEY_FILE),
            keyring=_read_keyring(env, instance / MASTER_KEY_FILE),
            keyring_file=None if env.get("TUKIVERKKO_MASTER_KEYS") else instance / MASTER_KEY_FILE,
            allow_sqlite=env.get("TUKIVERKKO_ALLOW_SQLITE", "") == "1",
            checkpoint_file=(
                Path(env["TUKIVERKKO_CHECKPOINT_FILE"]).resolve()
                if env.get("TUKIVERKKO_CHECKPOINT_FILE")
                else None
            ),
            checkpoint_syslog=env.get("TUKIVERKKO_CHECKPOINT_SYSLOG") or None,
            **values,
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse unsafe production settings with a message that says how to fix them.

        :raises ConfigError: when a production secret is missing or weak, or production
            would run on SQLite without being allowed to.
        """
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


def _read_secret(env: Mapping[str, str], var: str, path: Path) -> str | None:
    if value := env.get(var):
        return value
    if path.is_file():
        return path.read_text().strip() or None
    return None


def _read_keyring(env: Mapping[str, str], path: Path) -> Keyring | None:
    text = _read_secret(env, "TUKIVERKKO_MASTER_KEYS", path)
    return None if text is None else Keyring.from_json(text)

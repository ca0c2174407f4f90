from __future__ import annotations

import pytest

from app.settings import ConfigError, Settings
from sharing.keys import generate_keyring

STRONG = "x" * 48


def env(tmp_path, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"TUKIVERKKO_INSTANCE_PATH": str(tmp_path), **extra}


def test_production_refuses_to_start_without_a_secret_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=r"TUKIVERKKO_SECRET_KEY.*keys init"):
        Settings.from_env(env(tmp_path, TUKIVERKKO_ENV="production"))


def test_production_refuses_a_short_secret_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="at least 32"):
        Settings.from_env(env(tmp_path, TUKIVERKKO_ENV="production", TUKIVERKKO_SECRET_KEY="short"))


def test_production_refuses_to_start_without_master_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="master keys"):
        Settings.from_env(env(tmp_path, TUKIVERKKO_ENV="production", TUKIVERKKO_SECRET_KEY=STRONG))


def test_production_starts_with_secrets_from_the_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    keyring = generate_keyring()
    settings = Settings.from_env(
        env(
            tmp_path,
            TUKIVERKKO_ENV="production",
            TUKIVERKKO_SECRET_KEY=STRONG,
            TUKIVERKKO_MASTER_KEYS=keyring.to_json(),
            TUKIVERKKO_DATABASE_URL="postgresql+psycopg://u@db/tukiverkko",
        )
    )
    assert settings.keyring == keyring
    assert settings.session_cookie_secure
    assert STRONG not in repr(settings)


def production(tmp_path, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return env(
        tmp_path,
        TUKIVERKKO_ENV="production",
        TUKIVERKKO_SECRET_KEY=STRONG,
        TUKIVERKKO_MASTER_KEYS=generate_keyring().to_json(),
        **extra,
    )


def test_production_refuses_sqlite_unless_allowed_for_a_pilot(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path}/pilot.db"
    with pytest.raises(ConfigError, match="TUKIVERKKO_ALLOW_SQLITE=1"):
        Settings.from_env(production(tmp_path, TUKIVERKKO_DATABASE_URL=url))
    with pytest.raises(ConfigError, match="TUKIVERKKO_ALLOW_SQLITE=1"):
        Settings.from_env(
            production(tmp_path, TUKIVERKKO_DATABASE_URL=url, TUKIVERKKO_ALLOW_SQLITE="yes")
        )
    pilot = Settings.from_env(
        production(tmp_path, TUKIVERKKO_DATABASE_URL=url, TUKIVERKKO_ALLOW_SQLITE="1")
    )
    assert pilot.database_url == url and pilot.allow_sqlite


def test_development_reads_secrets_from_the_instance_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "secret_key").write_text(STRONG)
    (tmp_path / "master-keys.json").write_text(generate_keyring().to_json())
    settings = Settings.from_env(env(tmp_path))
    assert settings.environment == "development"
    assert settings.secret_key == STRONG
    assert settings.keyring is not None
    assert settings.database_url == f"sqlite:///{tmp_path}/tukiverkko.db"


def test_unknown_environment_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="TUKIVERKKO_ENV"):
        Settings.from_env(env(tmp_path, TUKIVERKKO_ENV="staging"))


def test_settings_are_frozen(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env(env(tmp_path))
    with pytest.raises(AttributeError):
        settings.environment = "production"  # type: ignore[misc]

from __future__ import annotations

import dataclasses

import pytest

from app.settings import ConfigError, Settings
from sharing.keys import generate_keyring

STRONG = "x" * 48
PUBLIC_URL = "https://tukiverkko.example.fi"
POSTGRESQL = "postgresql+psycopg://u@db/tukiverkko"


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
            TUKIVERKKO_PUBLIC_URL=PUBLIC_URL + "/",
        )
    )
    assert settings.keyring == keyring
    assert settings.public_url == PUBLIC_URL  # an origin, without the trailing slash
    assert settings.proxy_count == 0 and settings.ratelimit_storage_url == ""
    assert settings.session_cookie_secure
    assert STRONG not in repr(settings)


def production(tmp_path, **extra: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return env(
        tmp_path,
        TUKIVERKKO_ENV="production",
        TUKIVERKKO_SECRET_KEY=STRONG,
        TUKIVERKKO_MASTER_KEYS=generate_keyring().to_json(),
        **{"TUKIVERKKO_PUBLIC_URL": PUBLIC_URL, **extra},
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


def test_production_refuses_to_start_without_its_public_url(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="TUKIVERKKO_PUBLIC_URL"):
        Settings.from_env(
            production(tmp_path, TUKIVERKKO_DATABASE_URL=POSTGRESQL, TUKIVERKKO_PUBLIC_URL="")
        )


@pytest.mark.parametrize(
    "url",
    [
        "tukiverkko.example.fi",  # no scheme
        "ftp://tukiverkko.example.fi",
        "https://tukiverkko.example.fi/app",  # a path: links are the origin + url_for's path
        "https://user@tukiverkko.example.fi",
        "https://tukiverkko.example.fi?x=1",
        "https://tukiverkko.example.fi:port",
    ],
)
def test_the_public_url_must_be_an_origin(tmp_path, url: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="must be an origin"):
        Settings.from_env(env(tmp_path, TUKIVERKKO_PUBLIC_URL=url))


def test_the_proxy_count_is_a_number_of_proxies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert Settings.from_env(env(tmp_path, TUKIVERKKO_PROXY_COUNT="1")).proxy_count == 1
    for wrong in ("one", "-1"):
        with pytest.raises(ConfigError, match="TUKIVERKKO_PROXY_COUNT"):
            Settings.from_env(env(tmp_path, TUKIVERKKO_PROXY_COUNT=wrong))


@pytest.mark.parametrize("url", ["memory://", "async+memory://"])
def test_production_refuses_rate_limits_kept_in_each_workers_memory(tmp_path, url: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="in memory"):
        Settings.from_env(
            production(
                tmp_path, TUKIVERKKO_DATABASE_URL=POSTGRESQL, TUKIVERKKO_RATELIMIT_STORAGE_URL=url
            )
        )
    # Development may count in memory (one process), and production may use Redis.
    assert Settings.from_env(env(tmp_path, TUKIVERKKO_RATELIMIT_STORAGE_URL=url))
    redis = Settings.from_env(
        production(
            tmp_path,
            TUKIVERKKO_DATABASE_URL=POSTGRESQL,
            TUKIVERKKO_RATELIMIT_STORAGE_URL="redis://cache.internal:6379",
        )
    )
    assert redis.ratelimit_storage_url == "redis://cache.internal:6379"


def test_a_rate_limit_that_does_not_parse_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env(env(tmp_path))
    with pytest.raises(ConfigError, match="sign_in_failures_per_address"):
        dataclasses.replace(settings, sign_in_failures_per_address="twenty a day").validate()

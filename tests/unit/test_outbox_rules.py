"""When e-mail goes: backoff, quiet hours in Helsinki time (across DST), addresses, settings."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.models.outbox import MailKind
from app.outbox.commands import AddressNotValid, check_address
from app.outbox.rules import (
    LONGEST_WAIT,
    MAX_ATTEMPTS,
    QuietHours,
    gives_up,
    retry_delay,
    waits_for_quiet_hours,
)
from app.settings import ConfigError, Settings


def test_the_wait_doubles_from_a_minute_up_to_an_hour() -> None:
    waits = [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[-1] == LONGEST_WAIT and retry_delay(500) == LONGEST_WAIT
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert not gives_up(MAX_ATTEMPTS - 1) and gives_up(MAX_ATTEMPTS)


@pytest.mark.parametrize(
    ("at_utc", "quiet"),
    [
        (datetime(2026, 1, 15, 18, 59, tzinfo=UTC), False),  # 20:59 in Helsinki (UTC+2)
        (datetime(2026, 1, 15, 19, 0, tzinfo=UTC), True),  # 21:00
        (datetime(2026, 1, 16, 5, 59, tzinfo=UTC), True),  # 07:59
        (datetime(2026, 1, 16, 6, 0, tzinfo=UTC), False),  # 08:00
        (datetime(2026, 7, 15, 18, 0, tzinfo=UTC), True),  # 21:00 in summer (UTC+3)
        (datetime(2026, 7, 15, 5, 0, tzinfo=UTC), False),  # 08:00 in summer
    ],
)
def test_quiet_hours_are_helsinki_time_across_midnight_and_summer_time(
    at_utc: datetime, quiet: bool
) -> None:
    hours = QuietHours.parse("21-08")
    assert hours is not None and hours.contains(at_utc) is quiet


def test_only_notifications_wait_for_quiet_hours() -> None:
    night = datetime(2026, 1, 15, 23, 0, tzinfo=UTC)
    hours = QuietHours(21, 8)
    assert waits_for_quiet_hours(MailKind.NEW_MESSAGE, hours, night)
    assert waits_for_quiet_hours(MailKind.REMINDER, hours, night)
    assert not waits_for_quiet_hours(MailKind.STAFF_INVITATION, hours, night)
    assert not waits_for_quiet_hours(MailKind.NEW_MESSAGE, None, night)


@pytest.mark.parametrize("text", ["21", "21-21", "25-08", "nine-eight", "21:00-08:00"])
def test_quiet_hours_that_are_not_two_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse(text)
    assert QuietHours.parse("") is None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "no-at-sign",
        "a@b",
        "two@@example.fi",
        "space in@example.fi",
        "a@example.fi\r\nBcc: x@evil.fi",
        "a@example.fi, b@example.fi",
        "<a@example.fi>",
        "x" * 250 + "@example.fi",
    ],
)
def test_an_address_that_could_not_be_one_or_could_smuggle_a_header_is_refused(
    address: str,
) -> None:
    with pytest.raises(AddressNotValid):
        check_address(address)


def test_an_ordinary_address_is_kept_trimmed() -> None:
    assert check_address("  maija.meikalainen+tuki@kunta.example.fi ") == (
        "maija.meikalainen+tuki@kunta.example.fi"
    )


def env(**values: str) -> dict[str, str]:
    return {"TUKIVERKKO_ENV": "test", **values}


def test_smtp_settings_come_from_the_environment_and_the_password_only_from_there() -> None:
    settings = Settings.from_env(
        env(
            TUKIVERKKO_SMTP_HOST="smtp.example.fi",
            TUKIVERKKO_SMTP_PORT="465",
            TUKIVERKKO_SMTP_SECURITY="tls",
            TUKIVERKKO_SMTP_USER="tukiverkko",
            TUKIVERKKO_SMTP_PASSWORD="from-the-environment",
            TUKIVERKKO_MAIL_FROM="tukiverkko@example.fi",
        )
    )
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "smtp.example.fi",
        465,
        "tls",
    )
    assert settings.smtp_password == "from-the-environment"
    assert "from-the-environment" not in repr(settings)
    assert Settings.from_env(env()).mail_enabled is False


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"TUKIVERKKO_SMTP_SECURITY": "ssl3"}, "TUKIVERKKO_SMTP_SECURITY"),
        ({"TUKIVERKKO_SMTP_PORT": "smtp"}, "TUKIVERKKO_SMTP_PORT"),
        ({"TUKIVERKKO_SMTP_HOST": "smtp.example.fi"}, "TUKIVERKKO_MAIL_FROM"),
        ({"TUKIVERKKO_MAIL_QUIET_HOURS": "late"}, "TUKIVERKKO_MAIL_QUIET_HOURS"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused_by_name(
    values: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env(**values))


def test_a_password_in_a_config_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import settings as settings_module

    config = tmp_path / "config"
    config.mkdir()
    text = (settings_module.CONFIG_DIR / "test.toml").read_text()
    (config / "test.toml").write_text(text + 'smtp_password = "in-a-file"\n')
    monkeypatch.setattr(settings_module, "CONFIG_DIR", config)
    with pytest.raises(ConfigError, match="TUKIVERKKO_SMTP_PASSWORD only"):
        Settings.from_env(env())


def test_production_refuses_to_send_mail_in_the_clear() -> None:
    settings = Settings(
        environment="test",
        database_url="sqlite://",
        instance_path=Path("instance"),
        smtp_host="smtp.example.fi",
        smtp_security="none",
        mail_from="tukiverkko@example.fi",
    )
    settings.check_values()  # allowed in tests (a local catcher)
    production = Settings(**{**settings.__dict__, "environment": "production"})
    with pytest.raises(ConfigError, match="TLS only"):
        production.check_values()

"""Command-line operations: ``flask keys …`` and ``flask demo …``."""

from __future__ import annotations

import os
import secrets

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.settings import MASTER_KEY_FILE, SECRET_KEY_FILE
from sharing.keys import generate_keyring, write_key_file

keys_cli = AppGroup("keys", help="Master keys and the secret key.")
demo_cli = AppGroup("demo", help="The fictional demo world.")


@keys_cli.command("init")
def keys_init() -> None:
    """Create the instance secret key and master key file when missing (never overwrites)."""
    settings = current_app.extensions["tukiverkko.settings"]
    folder = settings.instance_path
    folder.mkdir(parents=True, exist_ok=True)
    secret_path = folder / SECRET_KEY_FILE
    if settings.secret_key:
        click.echo("secret key: present")
    else:
        # O_EXCL: never replace an existing key; 0600: readable by the owner only.
        fd = os.open(secret_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        click.echo(f"secret key: created {secret_path}")
    if settings.keyring is not None:
        click.echo(f"master keys: present (active {settings.keyring.active_id})")
    else:
        keyring = generate_keyring()
        write_key_file(folder / MASTER_KEY_FILE, keyring)
        click.echo(f"master keys: created {folder / MASTER_KEY_FILE} (active {keyring.active_id})")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create the fictional demo world unless it exists; print the demo logins."""
    from app import demo
    from app.extensions import db
    from app.security import password_hasher

    settings = current_app.extensions["tukiverkko.settings"]
    if settings.environment == "production":
        raise click.ClickException("the demo world is never seeded in production")
    if current_app.extensions["tukiverkko.keyring"] is None:
        raise click.ClickException("no master keys: run `flask keys init` first")
    created = demo.seed(
        db.session,
        current_app.extensions["tukiverkko.keyring"],
        password_hasher().hash(demo.DEMO_PASSWORD),
    )
    db.session.commit()
    click.echo("demo world created" if created else "demo world already present")
    click.echo(demo.logins_text())


@demo_cli.command("logins")
def demo_logins() -> None:
    """Print the demo logins."""
    from app import demo

    click.echo(demo.logins_text())


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo_cli)

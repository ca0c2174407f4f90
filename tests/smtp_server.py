"""A real SMTP server for the e-mail tests: aiosmtpd with STARTTLS or implicit TLS, a
throwaway self-signed certificate for 127.0.0.1, a user and password, and a list of what
arrived."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
USER = "tukiverkko-mailer"
PASSWORD = "smtp-password-from-the-environment"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A key and a certificate for 127.0.0.1 (the certificate is also the CA to trust)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test smtp")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "smtp-key.pem", folder / "smtp-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@dataclass
class Inbox:
    """What the server accepted: each message as parsed, and who signed in."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse: bool = False  # answer 451 to every message (a server in trouble)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Try again later"
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        with self.lock:
            self.logins.append((login, password))
        return AuthResult(success=(login, password) == (USER, PASSWORD))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def smtp_server(folder: Path, *, implicit_tls: bool = False) -> Iterator[tuple[Inbox, int, Path]]:
    """A running server (STARTTLS required, or implicit TLS), its inbox, port and CA file."""
    key_path, cert_path = self_signed_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    inbox = Inbox()
    port = free_port()
    tls: dict[str, Any] = (
        # aiosmtpd only counts STARTTLS as TLS: over implicit TLS it offers AUTH when told that
        # TLS is not required (the whole connection is TLS) and warns if AUTH is required too.
        {"ssl_context": context, "auth_require_tls": False, "auth_required": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_required": True}
    )
    controller = Controller(
        inbox,
        hostname=HOST,
        port=port,
        authenticator=inbox.authenticate,
        server_hostname=HOST,
        **tls,
    )
    if implicit_tls:
        # The controller's start-up probe connects with TLS and must trust the certificate.
        controller.ssl_context = context
    controller.start()
    try:
        yield inbox, port, cert_path
    finally:
        controller.stop()

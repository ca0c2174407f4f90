"""The dependency rule and the single decryption path, checked by walking the source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "consent": ("flask", "flask_", "werkzeug", "app", "sharing"),
    "sharing": ("flask", "flask_", "werkzeug", "app"),
}
# The modules allowed to touch key material or open a ciphertext.
CRYPTO_MODULES = {
    "sharing/keys.py",
    "sharing/envelope.py",
    "sharing/seal.py",
    "sharing/gate.py",
    "sharing/blind_index.py",
}
CRYPTO_NAMES = {
    "open_sealed",
    "data_keys_by_id",
    "current_data_key",
    "unwrap",
    "open_as_grantee",
    "AESGCM",
    "X25519PrivateKey",
}
CRYPTO_IMPORTS = (
    "cryptography.hazmat.primitives.ciphers",
    "cryptography.hazmat.primitives.hpke",
    "cryptography.hazmat.primitives.asymmetric",
)


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def python_files(*packages: str) -> list[Path]:
    return [p for pkg in packages for p in sorted((ROOT / pkg).rglob("*.py"))]


def violates(module: str, prefixes: tuple[str, ...]) -> bool:
    top = module.split(".")[0]
    return any(
        top == prefix or (prefix.endswith("_") and top.startswith(prefix)) for prefix in prefixes
    )


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_domain_packages_never_import_the_web_layer(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(package)
        for module in imports_of(path)
        if violates(module, FORBIDDEN[package])
    ]
    assert offenders == []


def test_the_rule_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import request\nimport app.models\nfrom flask_login import x\n")
    assert [m for m in imports_of(bad) if violates(m, FORBIDDEN["sharing"])] == [
        "flask",
        "flask.request",
        "app.models",
        "flask_login",
        "flask_login.x",
    ]


def test_only_the_gate_and_key_modules_touch_keys_or_decrypt() -> None:
    offenders = []
    for path in python_files("app", "consent", "sharing", "migrations"):
        rel = str(path.relative_to(ROOT))
        if rel in CRYPTO_MODULES:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            name = (
                node.attr
                if isinstance(node, ast.Attribute)
                else node.id
                if isinstance(node, ast.Name)
                else None
            )
            if name in CRYPTO_NAMES:
                offenders.append(f"{rel}:{node.lineno} uses {name}")
        offenders += [
            f"{rel} imports {m}"
            for m in imports_of(path)
            if m.startswith("cryptography.hazmat.primitives.ciphers")
        ]
    assert offenders == []

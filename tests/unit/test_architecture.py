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
    "sharing/archive.py",
    "sharing/pseudonyms.py",
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
    for path in python_files("app", "consent", "sharing"):
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


# -- the app's own layout: features, the web by audience, the API ---------------------------

# app/ folders that are not features
EDGE = {"web", "api", "models", "translations"}
WEB_MODULES = ("flask", "flask_", "werkzeug", "wtforms")


def feature_packages() -> list[str]:
    return sorted(
        p.name
        for p in (ROOT / "app").iterdir()
        if p.is_dir() and p.name not in EDGE and (p / "__init__.py").exists()
    )


def test_the_feature_packages_are_the_ones_the_product_has() -> None:
    # A new folder is a new feature: add it here on purpose (and to ARCHITECTURE.md).
    assert feature_packages() == [
        "accounts",
        "activation",
        "appointments",
        "assessment",
        "cases",
        "client_log",
        "consents",
        "contacts",
        "dashboard",
        "directory",
        "ending",
        "fhir",
        "information_texts",
        "intake",
        "log_requests",
        "log_review",
        "maintenance",
        "messages",
        "network",
        "outbox",
        "partner_work",
        "person_access",
        "plan",
        "release",
        "reminders",
        "research",
        "reviews",
        "second_factor",
        "staff",
        "statistics",
        "transfer",
    ]


@pytest.mark.parametrize("feature", feature_packages())
def test_features_never_import_the_web(feature: str) -> None:
    """Commands, queries and rules take a Session and primitives; the edge translates."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(f"app/{feature}")
        for module in imports_of(path)
        if violates(module, WEB_MODULES)
        or module.startswith(("app.web", "app.api", "app.security", "app.errors"))
    ]
    assert offenders == []


def test_no_blueprint_imports_another() -> None:
    audiences = [p.name for p in (ROOT / "app" / "web").iterdir() if (p / "__init__.py").exists()]
    offenders = []
    for own in [*audiences, "api"]:
        folder = f"app/web/{own}" if own != "api" else "app/api"
        others = tuple(f"app.web.{a}" for a in audiences if a != own)
        if own != "api":
            others += ("app.api",)
        for path in python_files(folder):
            offenders += [
                f"{path.relative_to(ROOT)} imports {m}"
                for m in imports_of(path)
                if m.startswith(others) and not m.endswith(".bp")
            ]
    assert offenders == []


def test_no_grab_bag_modules() -> None:
    grab_bags = {"services.py", "utils.py", "helpers.py", "common.py", "misc.py"}
    found = [
        str(p.relative_to(ROOT))
        for pkg in ("app", "consent", "sharing")
        for p in (ROOT / pkg).rglob("*")
        if p.name in grab_bags or (p.is_dir() and p.name in {"services", "utils", "helpers"})
    ]
    assert found == []


@pytest.mark.parametrize("feature", feature_packages())
def test_commands_and_queries_never_commit(feature: str) -> None:
    """The edge commits once per request (``app/transactions.py``) or CLI command."""
    offenders = []
    for path in python_files(f"app/{feature}"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"commit", "rollback"}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.attr}")
    assert offenders == []


def test_views_never_commit() -> None:
    """The edge commits (``app/transactions.py``); what must outlast a refused request, such
    as a wrong code's count, a command writes with ``execute_kept``."""
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files("app/web", "app/api")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "commit"
    ]
    assert offenders == []


def test_only_sharing_names_where_a_ciphertext_lives() -> None:
    """Call sites pass a row and a declared column (``sharing.fields``), never a FieldRef."""
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files("app")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "FieldRef"
    ]
    assert offenders == []

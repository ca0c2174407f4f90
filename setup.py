"""Build hook: the wheel carries compiled catalogues, the settings files and the migrations.

The .mo files are not committed (``make translations`` compiles them for a checkout); a wheel
built from a clean checkout must still carry them, so ``build_py`` compiles every catalogue
found under ``app/translations`` into the build directory. ``config/`` and ``migrations/`` sit
at the top of the checkout and are copied into the wheel's ``app`` package, where
``app.settings`` looks first. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Top-level folders the installed app needs, with the files of each that belong in the wheel.
DATA_DIRS = {"config": ("*.toml",), "migrations": ("*.ini", "*.py", "*.mako", "versions/*.py")}


class BuildPyWithCatalogues(build_py):
    """``build_py`` that also writes ``<locale>/LC_MESSAGES/messages.mo`` next to each .po."""

    def run(self) -> None:
        super().run()
        self._copy_data_dirs()
        source = ROOT / "app" / "translations"
        target = Path(self.build_lib) / "app" / "translations"
        for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=po_path.parts[-3])
            if catalog.fuzzy:
                raise SystemExit(f"{po_path}: the catalogue header is marked fuzzy")
            mo_path = target / po_path.relative_to(source).with_suffix(".mo")
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with mo_path.open("wb") as fh:
                write_mo(fh, catalog)

    def _copy_data_dirs(self) -> None:
        for name, patterns in DATA_DIRS.items():
            for pattern in patterns:
                for path in sorted((ROOT / name).glob(pattern)):
                    target = Path(self.build_lib) / "app" / path.relative_to(ROOT)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)


setup(cmdclass={"build_py": BuildPyWithCatalogues})

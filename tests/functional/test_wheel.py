"""The built wheel, installed into a fresh virtualenv, migrates, serves and speaks Finnish.

Builds from a copy of the committed files without any compiled .mo (so the build must compile
the catalogues), installs the wheel with the pinned dependencies (constraints.txt; pip's cache
or the configured index), and runs everything from outside the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.live_server import ROOT, free_port, serving

TIMEOUT = 600


def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=TIMEOUT, **kwargs
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


def test_the_wheel_installs_migrates_serves_and_translates(tmp_path: Path) -> None:
    source = tmp_path / "source"
    tracked = run(["git", "-C", str(ROOT), "ls-files", "-z"]).stdout.split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file() and not name.endswith(".mo"):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), str(source)]
    )
    [wheel] = dist.glob("tukiverkko-*.whl")

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    bin_dir = venv / "bin"
    run(
        [
            str(bin_dir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "-c",
            str(ROOT / "constraints.txt"),
            str(wheel),
        ]
    )

    work = tmp_path / "work"  # outside the source tree: only the installed package is importable
    work.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TUKIVERKKO_", "FLASK_", "PYTHON"))
    }
    env.update(
        TUKIVERKKO_ENV="development",
        TUKIVERKKO_INSTANCE_PATH=str(tmp_path / "instance"),
        TUKIVERKKO_DATABASE_URL=f"sqlite:///{tmp_path / 'wheel.db'}",
    )
    flask = [str(bin_dir / "flask"), "--app", "app"]
    for command in (["keys", "init"], ["db", "upgrade"], ["demo", "seed"]):
        run([*flask, *command], cwd=work, env=env)
    where = run(
        [str(bin_dir / "python"), "-c", "import app; print(app.__file__)"], cwd=work, env=env
    )
    assert str(venv) in where.stdout  # the installed copy, not the checkout

    port = free_port()
    production = dict(
        env,
        TUKIVERKKO_ENV="production",
        TUKIVERKKO_ALLOW_SQLITE="1",
        TUKIVERKKO_BIND=f"127.0.0.1:{port}",
        TUKIVERKKO_WORKERS="1",
        TUKIVERKKO_PUBLIC_URL="http://127.0.0.1",
    )
    command = [
        str(bin_dir / "gunicorn"),
        "-c",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--chdir",
        str(work),
    ]
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "gunicorn.log"
    with serving(command, production, base_url=base, log_path=log, cwd=work):
        with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:  # noqa: S310
            assert response.read() == b"ok\n"
        finnish = urllib.request.Request(f"{base}/login", headers={"Accept-Language": "fi"})  # noqa: S310
        with urllib.request.urlopen(finnish, timeout=10) as response:  # noqa: S310
            assert "Kirjaudu sisään" in response.read().decode()

"""What a deployment installs: the wheel built from this checkout, with the pinned dependencies of
constraints.txt, in a fresh virtualenv. It must serve Switchboard from a directory with nothing of
the checkout in it, so templates, static files and migrations have to ship inside the package."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import pytest
import redis
import requests

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
# The checkout's top-level data folders and the packages they ship as (pyproject.toml).
DATA_PACKAGES = {"templates": "webapp.templates", "static": "webapp.static", "migrations": "webapp.migration_scripts"}
CODE_FOLDERS = ("webapp", "jobs")
# Never copied into the build: environments, caches and earlier build output.
NOT_SOURCE = {
    ".git",
    ".venv",
    "build",
    "dist",
    "instance",
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    "node_modules",
}
# A generous bound for pip (building, resolving, installing from its cache or from the index).
PIP_TIMEOUT = 300


def _source_files(folder: Path) -> set[str]:
    """Every file of a folder of the checkout, relative to it, without Python's byte-code caches."""
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_every_package_of_the_checkout_is_listed_in_pyproject():
    """pyproject.toml lists its packages (it must, to map the data folders): a new package of
    webapp/ or jobs/ left off that list would be missing from every wheel."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for folder in CODE_FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    expected = found | set(DATA_PACKAGES.values())
    assert not expected - listed, f"add {sorted(expected - listed)} to [tool.setuptools] packages in pyproject.toml"
    assert not listed - expected, (
        f"remove {sorted(listed - expected)} from [tool.setuptools] packages in pyproject.toml"
    )


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=PIP_TIMEOUT, **kwargs
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _ignore_non_source(directory: str, names: list[str]) -> set[str]:
    return {
        name
        for name in names
        if name in NOT_SOURCE
        or name.endswith((".egg-info", ".pyc"))
        or (Path(directory, name) / "pyvenv.cfg").exists()  # a virtualenv under another name
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the checkout: the build then writes no build/ or egg-info
    into the checkout, and cannot pick up files that an earlier build left in build/."""
    source = tmp_path_factory.mktemp("source") / "switchboard"
    shutil.copytree(ROOT, source, ignore=_ignore_non_source)
    out = tmp_path_factory.mktemp("wheelhouse")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", out, source])
    [built] = out.glob("switchboard-*.whl")
    return built


def test_the_wheel_holds_the_code_templates_static_files_and_migrations(wheel):
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = {"app.py"}
    for folder in CODE_FOLDERS:
        expected |= {f"{folder}/{name}" for name in _source_files(ROOT / folder)}
    for folder, package in DATA_PACKAGES.items():
        expected |= {f"{package.replace('.', '/')}/{name}" for name in _source_files(ROOT / folder)}
    assert not expected - shipped, f"missing from the wheel: {sorted(expected - shipped)}"
    assert not any(name.endswith(".pyc") for name in shipped)


def _clean_environment() -> dict:
    """This process's environment without anything that points into the checkout or configures
    Switchboard or the test suite."""
    dropped = (
        "PYTHONPATH",
        "PYTHONHOME",
        "VIRTUAL_ENV",
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "ENCRYPTION_KEYS",
        "INSTANCE_PATH",
        "PUBLIC_URL",
    )
    return {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(("FLASK_", "TEST_", "PYTEST_"))
    }


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel and its pinned dependencies; returns its bin/ folder."""
    venv = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", venv], env=_clean_environment())
    _run(
        [
            venv / "bin" / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--root-user-action=ignore",
            "-c",
            ROOT / "constraints.txt",
            wheel,
        ],
        env=_clean_environment(),
    )
    return venv / "bin"


def test_the_installed_package_finds_its_files_inside_the_virtualenv(installed, tmp_path):
    venv = installed.parent
    probe = (
        "import json, webapp; from webapp import package_folder; from webapp.config import instance_path; "
        "print(json.dumps({'webapp': webapp.__file__, 'instance': instance_path(), "
        "'folders': [str(package_folder(p)) "
        "for p in ('webapp.templates', 'webapp.static', 'webapp.migration_scripts')]}))"
    )
    found = json.loads(_run([installed / "python", "-c", probe], cwd=tmp_path, env=_clean_environment()).stdout)
    site_packages = Path(found["webapp"]).parents[1]
    assert site_packages.name == "site-packages" and site_packages.is_relative_to(venv), found
    assert all(Path(folder).parent == site_packages / "webapp" for folder in found["folders"]), found
    # Flask's instance folder for an installed package: under the environment, not in site-packages.
    assert Path(found["instance"]) == venv / "var" / "webapp-instance"


def _process_tree(pid: int) -> dict[int, str]:
    """Every live process below ``pid``, each with its start time (so a reused pid is not taken
    for the same process). RQ starts sessions of its own, so a process group would not do."""
    stats: dict[int, list[str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats[int(stat.parent.name)] = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
    children: dict[int, list[int]] = {}
    for child, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(child)
    tree, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            tree[child] = stats[child][19]  # field 22 of /proc/<pid>/stat: the start time
            todo.append(child)
    return tree


def _alive(pid: int, started: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[19] == started and fields[0] not in ("Z", "X")  # a zombie has exited already


def _wait_until(condition, timeout: float, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    return condition()


def test_the_installed_wheel_serves_switchboard_from_an_empty_directory(installed, redis_url, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cwd")  # nothing of the checkout in it
    instance = tmp_path_factory.mktemp("inst")  # short: gunicorn's control socket lives here
    port = free_port()
    env = _clean_environment()
    env.update(
        INSTANCE_PATH=str(instance),
        PORT=str(port),
        HOST="127.0.0.1",
        REDIS_URL=redis_url,
        WEB_CONCURRENCY="1",
        WORKERS="1",
    )
    redis.Redis.from_url(redis_url).flushdb()  # so the worker counted below is this one
    log_path = workdir.parent / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [installed / "switchboard", "serve"],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tree: dict[int, str] = {}
    try:

        def healthy_with_a_worker():
            if process.poll() is not None:
                return True  # exited: stop waiting, the assertion below says so
            try:
                health = requests.get(f"{base}/healthz", timeout=2)
                return health.status_code == 200 and (health.json().get("workers") or 0) >= 1
            except (requests.RequestException, ValueError):  # not listening yet, or still starting up
                return False

        _wait_until(healthy_with_a_worker, timeout=90)
        assert process.poll() is None, "switchboard serve exited:\n" + log_path.read_text(errors="replace")
        health = requests.get(f"{base}/healthz", timeout=5).json()
        assert health["status"] == "ok" and health["workers"] >= 1, f"{health}\n" + log_path.read_text(errors="replace")

        browser = requests.Session()
        setup = browser.get(f"{base}/setup", timeout=10)
        assert setup.status_code == 200 and setup.headers["Content-Type"].startswith("text/html")
        assert "Set up Switchboard" in setup.text and "/static/app.css" in setup.text  # templates shipped
        stylesheet = browser.get(f"{base}/static/app.css", timeout=10)
        assert stylesheet.status_code == 200 and stylesheet.content == (ROOT / "static" / "app.css").read_bytes()

        # Migrations shipped: the database is at the checkout's head, and the set-up page can write to it.
        from webapp.migrations import heads

        with sqlite3.connect(instance / "switchboard.db") as database:
            assert [row[0] for row in database.execute("SELECT version_num FROM alembic_version")] == heads()
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', setup.text).group(1)
        created = browser.post(
            f"{base}/setup",
            data={
                "csrf_token": csrf,
                "organization": "Acme Support",
                "name": "Ada",
                "email": "ada@example.com",
                "password": "correct horse battery staple",
                "confirm": "correct horse battery staple",
                # The one-time token `switchboard serve` printed, which the set-up page requires.
                "setup_token": (instance / "setup_token").read_text().strip(),
            },
            allow_redirects=False,
            timeout=10,
        )
        assert created.status_code == 302, created.text
        front = browser.get(urljoin(setup.url, created.headers["Location"]), allow_redirects=False, timeout=10)
        assert front.status_code == 200 and "text/html" in front.headers["Content-Type"]

        tree = _process_tree(process.pid)
        assert tree, "switchboard serve started no processes"
    finally:
        tree = {**tree, **_process_tree(process.pid)}
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        _wait_until(lambda: not any(_alive(pid, started) for pid, started in tree.items()), timeout=30)
        survivors = sorted(pid for pid, started in tree.items() if _alive(pid, started))
        for pid in survivors:  # killed, so that a failure here leaves nothing behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        redis.Redis.from_url(redis_url).flushdb()
    output = log_path.read_text(errors="replace")
    assert process.returncode == 0, output
    assert not survivors, f"still running after switchboard serve stopped: {survivors}\n{output}"

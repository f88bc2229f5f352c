"""What must not leak through the files and logs around the app: the instance folder's modes,
SQL parameters in error messages, webhook tokens in the access log."""

import os
import signal
import stat
import subprocess

import pytest
import requests
from sqlalchemy.exc import IntegrityError

from tests.conftest import free_port, wait_for
from webapp import create_app
from webapp.cli import web_command
from webapp.db import db
from webapp.models import User
from webapp.weblog import mask_webhook_tokens


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_instance_folder_and_the_database_file_are_the_users_alone(tmp_path, redis_url, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "switchboard.db").touch(mode=0o644)  # an existing database, made by an older version
    app = create_app({"TESTING": True, "REDIS_URL": redis_url}, instance_path=str(instance))
    try:
        assert _mode(instance) == 0o700
        assert _mode(instance / "switchboard.db") == 0o600
        assert _mode(instance / "secret_key") == 0o600 and _mode(instance / "encryption_keys") == 0o600
    finally:
        with app.app_context():
            db.engine.dispose()


def test_sql_parameters_never_appear_in_error_messages(world):
    organization = world.organization()
    world.user(organization, email="taken@customer.example")
    db.session.add(User(organization_id=organization.id, email="taken@customer.example", name="Eve", password_hash="x"))
    with pytest.raises(IntegrityError) as raised:
        db.session.commit()
    db.session.rollback()
    assert "taken@customer.example" not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)


def test_webhook_tokens_are_masked_in_what_the_access_log_shows():
    assert mask_webhook_tokens("POST /webhooks/front/s3cr3t-t0k3n HTTP/1.1") == "POST /webhooks/front/… HTTP/1.1"
    assert mask_webhook_tokens("/webhooks/salesforce/abc?x=1") == "/webhooks/salesforce/…?x=1"
    assert mask_webhook_tokens("GET /inbox?page=2 HTTP/1.1") == "GET /inbox?page=2 HTTP/1.1"


def test_the_web_server_as_serve_runs_it_logs_no_webhook_token(tmp_path, database_url, redis_url):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "INSTANCE_PATH": str(tmp_path)}
    server = subprocess.Popen(
        web_command(f"127.0.0.1:{port}", 1, tmp_path),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    token = "Zq8wT0ken-that-must-not-be-logged"
    try:

        def answered():
            try:
                url = f"http://127.0.0.1:{port}/webhooks/front/{token}"
                return requests.post(url, data=b"{}", timeout=2).status_code
            except requests.RequestException:
                return None

        assert wait_for(answered, 60, "the web server to answer") == 404
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "POST /webhooks/front/… HTTP" in output, output
    assert token not in output

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from tests.conftest import World
from webapp.crypto import EncryptionNotConfigured, keyring, rotate_all, secret_hint
from webapp.db import Base, db
from webapp.models import Integration, IntegrationKind

TOKEN = "front-api-token-5f1c9e2a4f2a"


def _save_credentials(organization) -> Integration:
    integration = Integration(
        organization_id=organization.id, kind=IntegrationKind.FRONT, credentials={"api_token": TOKEN}
    )
    db.session.add(integration)
    db.session.commit()
    return integration


def _raw_credentials(integration_id: int) -> str:
    return db.session.execute(
        text("SELECT credentials FROM integrations WHERE id = :id"), {"id": integration_id}
    ).scalar_one()


def test_a_credential_is_not_readable_in_the_raw_row(world):
    integration = _save_credentials(world.organization())

    raw = _raw_credentials(integration.id)
    assert TOKEN not in raw
    assert "api_token" not in raw
    db.session.expire_all()
    assert db.session.get(Integration, integration.id).credentials == {"api_token": TOKEN}


def test_after_key_rotation_old_rows_still_decrypt_and_rotate_moves_them_to_the_new_key(app, world, encryption_keys):
    integration = _save_credentials(world.organization())
    before = _raw_credentials(integration.id)
    old_key, new_key = encryption_keys[0], Fernet.generate_key().decode()
    try:
        # The admin puts a new key first; rows written under the old key still read.
        keyring.configure([new_key, old_key])
        db.session.expire_all()
        assert db.session.get(Integration, integration.id).credentials == {"api_token": TOKEN}

        counts = rotate_all(db.engine, Base.metadata)
        assert counts["integrations.credentials"] == 1
        after = _raw_credentials(integration.id)
        assert after != before

        # Once rotated, the old key can go: the row decrypts under the new key alone.
        keyring.configure([new_key])
        db.session.expire_all()
        assert db.session.get(Integration, integration.id).credentials == {"api_token": TOKEN}
    finally:
        keyring.configure(encryption_keys)


def test_the_rotate_command_reports_what_it_re_encrypted(runner, world):
    _save_credentials(world.organization())
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "integrations.credentials: 1 re-encrypted" in result.output


def test_a_row_under_a_removed_key_says_which_setting_to_fix(world, encryption_keys):
    integration = _save_credentials(world.organization())
    try:
        keyring.configure([Fernet.generate_key().decode()])
        db.session.expire_all()
        with pytest.raises(EncryptionNotConfigured, match="no longer in ENCRYPTION_KEYS"):
            db.session.scalar(select(Integration).where(Integration.id == integration.id))
    finally:
        db.session.rollback()
        keyring.configure(encryption_keys)


def test_a_malformed_key_is_refused_with_a_hint():
    with pytest.raises(EncryptionNotConfigured, match="keys new"):
        keyring.__class__().configure(["not-a-fernet-key"])


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "not set"), ("", "not set"), ("short", "saved"), (TOKEN, "saved, ends in …4f2a")],
)
def test_secret_hint_never_shows_more_than_the_last_four_characters(value, shown):
    assert secret_hint(value) == shown


def test_a_process_started_before_a_key_rotation_reads_the_new_key_instead_of_failing(
    database_url, redis_url, tmp_path, encryption_keys
):
    """`keys new --save`, `keys rotate` and the old key's removal, done by another process while
    this one runs: the row it reads next is under a key it never loaded. It reads the instance
    folder's keys again instead of answering 500 until restarted."""
    from cryptography.fernet import MultiFernet
    from sqlalchemy import text

    from webapp import create_app
    from webapp.config import ENCRYPTION_KEYS_FILE

    instance = tmp_path / "instance"
    app = create_app(
        {"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "s"},
        instance_path=str(instance),
    )
    try:
        with app.app_context():
            old_key = (instance / ENCRYPTION_KEYS_FILE).read_text().strip()
            assert app.config["ENCRYPTION_KEYS"] == [old_key]
            integration = _save_credentials(World().organization())

            new_key = Fernet.generate_key().decode()
            rotated = MultiFernet([Fernet(new_key.encode()), Fernet(old_key.encode())]).rotate(
                _raw_credentials(integration.id).encode()
            )
            db.session.execute(
                text("UPDATE integrations SET credentials = :token WHERE id = :id"),
                {"token": rotated.decode(), "id": integration.id},
            )
            db.session.commit()
            (instance / ENCRYPTION_KEYS_FILE).write_text(new_key + "\n")  # the old key removed

            db.session.expire_all()
            assert db.session.get(Integration, integration.id).credentials == {"api_token": TOKEN}
    finally:
        keyring.configure(encryption_keys)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_secret_no_key_opens_is_a_503_with_the_fix_not_a_500(client, logged_in_owner, encryption_keys):
    from webapp.models import IntegrationKind

    db.session.add(
        Integration(
            organization_id=logged_in_owner.organization_id,
            kind=IntegrationKind.FRONT,
            settings={},
            credentials={"api_token": TOKEN},
            webhook_token="hook",
        )
    )
    db.session.commit()
    try:
        keyring.configure([Fernet.generate_key().decode()])
        db.session.expire_all()
        response = client.get("/settings/ticketing/front")
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert "Stored secrets cannot be read" in page and "ENCRYPTION_KEYS" in page and TOKEN not in page
    finally:
        db.session.rollback()
        keyring.configure(encryption_keys)

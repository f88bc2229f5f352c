import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

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

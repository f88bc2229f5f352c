"""Alembic, driven from the app: the run command and tests upgrade through here."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app

from webapp import package_folder

# The checkout's migrations/ folder, shipped as the package webapp.migration_scripts.
MIGRATIONS = package_folder("webapp.migration_scripts")


def alembic_config(database_url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (database_url or current_app.config["DATABASE_URL"]).replace("%", "%%"))
    return cfg


def upgrade(revision: str = "head", database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), revision)


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())

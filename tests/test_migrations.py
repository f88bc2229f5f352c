from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from webapp.db import Base, db
from webapp.knowledge.search import include_object
from webapp.migrations import heads


def test_there_is_exactly_one_alembic_head():
    assert len(heads()) == 1


def test_the_migrated_schema_matches_the_models(app):
    """A model change without its migration fails here, not in production."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []


def test_revision_ids_fit_alembics_version_column():
    """alembic_version.version_num is VARCHAR(32): PostgreSQL refuses a longer id."""
    from alembic.script import ScriptDirectory

    from webapp.migrations import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert all(len(revision.revision) <= 32 for revision in scripts.walk_revisions())

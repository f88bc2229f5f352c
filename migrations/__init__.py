"""The package webapp.migration_scripts (see pyproject.toml): this file lets an editable install find it."""

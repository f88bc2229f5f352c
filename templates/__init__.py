"""The package webapp.templates (see pyproject.toml): this file lets an editable install find it."""

"""The package webapp.static (see pyproject.toml): this file lets an editable install find it."""

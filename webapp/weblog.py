"""Gunicorn's settings for Switchboard's web server, loaded with ``gunicorn -c python:webapp.weblog``
(``switchboard serve`` does so): the access log, with the secret part of webhook URLs masked.

A webhook URL's last segment is the organization's webhook token, which is all a sender needs
besides the signing secret; an access log is read by more people than the settings page is.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

# /webhooks/<source>/<token>: keep the source, mask the token.
WEBHOOK_TOKEN = re.compile(r"(/webhooks/[A-Za-z0-9_-]+/)[^/?\s]+")
MASK = r"\1…"


def mask_webhook_tokens(text: str | None) -> str | None:
    return WEBHOOK_TOKEN.sub(MASK, text) if text else text


class MaskingLogger(Logger):
    """Gunicorn's logger, masking webhook tokens in every request atom that carries the path."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            atoms[key] = mask_webhook_tokens(atoms.get(key))
        return atoms


# Gunicorn reads these names from this module.
logger_class = MaskingLogger
accesslog = "-"

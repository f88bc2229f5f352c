from __future__ import annotations

import logging

from webapp import retention
from webapp.queue import PRUNE_EXPIRED, job

log = logging.getLogger(__name__)


@job(PRUNE_EXPIRED)
def prune_expired() -> dict:
    """Drop what each organization's retention no longer keeps."""
    return vars(retention.prune())

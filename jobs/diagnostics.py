from __future__ import annotations

import logging

from flask import current_app

from webapp import diagnostics
from webapp.db import db
from webapp.queue import RUN_DIAGNOSTICS, job

log = logging.getLogger(__name__)


@job(RUN_DIAGNOSTICS)
def run_diagnostics() -> dict:
    """Run the setup checks of every organization that is due. One organization's failure (its
    database rows, say) is logged and the others still run."""
    checked, failed = 0, 0
    for organization_id in diagnostics.organizations_due(current_app.config["DIAGNOSTICS_INTERVAL_SECONDS"]):
        try:
            diagnostics.run_all(organization_id)
            checked += 1
        except Exception:
            db.session.rollback()
            failed += 1
            log.exception("the setup checks of organization %s could not run", organization_id)
    return {"checked": checked, "failed": failed}

"""Periodic jobs, declared as data.

The scheduler process registers exactly this list each time it starts, so removing an entry
here cancels it: nothing about the schedule lives only in Redis.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from rq.cron import CronScheduler

from webapp import redis_server


@dataclass(frozen=True)
class PeriodicJob:
    func: str  # dotted path of a function declared with @job
    interval: int  # seconds
    timeout: int = 300

    def resolve(self):
        module, _, name = self.func.rpartition(".")
        return getattr(importlib.import_module(module), name)


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Webhook journal rows whose job was lost (Redis down at ingest, a killed worker).
    PeriodicJob("jobs.journal.sweep_journal", interval=60, timeout=120),
    # Knowledge sources on an hourly or daily schedule whose time has come.
    PeriodicJob("jobs.knowledge.dispatch_due_syncs", interval=60, timeout=120),
)


def build_scheduler(jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> CronScheduler:
    scheduler = CronScheduler(connection=redis_server.connection())
    for periodic in jobs:
        func = periodic.resolve()
        scheduler.register(func, queue_name=func.queue_name, interval=periodic.interval, job_timeout=periodic.timeout)
    return scheduler

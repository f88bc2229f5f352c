"""Periodic jobs, declared as data, and the one scheduler that enqueues them.

The scheduler process registers exactly this list each time it starts, so removing an entry
here cancels it: nothing about the schedule lives only in Redis. Exactly one scheduler
enqueues at a time, however many are started (two ``switchboard serve`` on one Redis, a
``switchboard scheduler`` started twice): the others wait as standbys and take over within
``LEADER_LEASE_SECONDS`` when the active one stops or dies.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from redis.exceptions import RedisError
from rq.cron import CronJob, CronScheduler
from rq.exceptions import StopRequested

from webapp import redis_server
from webapp.queue import (
    DISPATCH_DUE_SYNCS,
    FAILURE_TTL,
    FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS,
    PRUNE_EXPIRED,
    RUN_DIAGNOSTICS,
    SWEEP_JOURNAL,
    JobSpec,
)

log = logging.getLogger(__name__)

LEADER_KEY = "switchboard:scheduler:leader"
LEADER_LEASE_SECONDS = 30
# The scheduler wakes at least this often, to renew its lease well within it (RQ's default
# sleep runs up to a minute).
BEAT_SECONDS = LEADER_LEASE_SECONDS / 3


@dataclass(frozen=True)
class PeriodicJob:
    job: JobSpec
    interval: int  # seconds


PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    # Webhook journal rows whose job was lost (Redis down at ingest, a killed worker).
    PeriodicJob(SWEEP_JOURNAL, interval=60),
    # Knowledge sources on an hourly or daily schedule whose time has come.
    PeriodicJob(DISPATCH_DUE_SYNCS, interval=60),
    # What customers sent, past each organization's retention (webapp/retention.py).
    PeriodicJob(PRUNE_EXPIRED, interval=3600),
    # Live Messaging conversations past their wait for a rep go to Front teammates.
    PeriodicJob(FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS, interval=30),
    # The setup checks of the Troubleshooting pages, for each organization whose last run is
    # older than DIAGNOSTICS_INTERVAL_SECONDS.
    PeriodicJob(RUN_DIAGNOSTICS, interval=60),
)

# Take the lease when it is free, or extend it when it is ours, in one atomic step.
_HOLD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SingleScheduler(CronScheduler):
    """RQ's interval scheduler, enqueueing only while it holds the leader lease in Redis."""

    leading: bool | None = None  # not asked yet

    def hold_leadership(self) -> bool:
        held = bool(self.connection.eval(_HOLD, 1, LEADER_KEY, self.name, int(LEADER_LEASE_SECONDS * 1000)))
        if held != self.leading:
            log.info("scheduler %s %s", self.name, "is the active scheduler" if held else "waits as a standby")
        self.leading = held
        return held

    def enqueue_jobs(self) -> list[CronJob]:
        if not self.hold_leadership():
            return []
        return super().enqueue_jobs()

    def calculate_sleep_interval(self) -> float:
        if not self.leading:
            # A standby only asks for the lease. (RQ's figure is 0 once the jobs it enqueued
            # as a leader are due again: a former leader would ask in a tight loop.)
            return BEAT_SECONDS
        return min(super().calculate_sleep_interval(), BEAT_SECONDS)

    def resign(self) -> None:
        """Hand the lease back, so a standby need not wait for it to run out."""
        try:
            self.connection.eval(_RELEASE, 1, LEADER_KEY, self.name)
        except RedisError as exc:
            log.warning("could not hand over the scheduler lease (it runs out by itself): %s", exc)
        self.leading = False

    def register_death(self, pipeline=None) -> None:  # RQ calls it as the scheduler stops
        self.resign()
        super().register_death(pipeline)

    def start(self) -> None:
        """RQ's loop (enqueue what is due, beat, sleep), except that losing Redis does not end
        it: the scheduler says so once, waits for Redis to answer again (``wait_for_redis``),
        then carries on, taking the lease again (or standing by) and registering again where a
        restarted Redis forgot it. Ctrl+C or SIGTERM stop it, handing the lease back."""
        from webapp.queue import REDIS_DOWN, wait_for_redis

        self.log.info("CronScheduler %s: starting...", self.name)
        self._install_signal_handlers()  # they raise StopRequested
        born = False
        try:
            while True:
                try:
                    if not born:
                        self.register_birth()
                        born = True
                    if self.enqueue_jobs():
                        self.save()
                    self.heartbeat()  # registers again if Redis lost the registration
                except REDIS_DOWN as exc:
                    self.leading = None  # asks again, and says which it is, once Redis is back
                    wait_for_redis(self.connection, exc, f"scheduler {self.name}")
                    continue
                time.sleep(self.calculate_sleep_interval())
        except (KeyboardInterrupt, StopRequested):
            self.log.info("CronScheduler %s: stop requested", self.name)
        finally:
            try:
                self.register_death()
            except RedisError as exc:
                log.warning("scheduler %s stopped without unregistering (Redis: %s)", self.name, exc)
            self.log.info("CronScheduler %s: shutdown complete", self.name)


def build_scheduler(jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> SingleScheduler:
    scheduler = SingleScheduler(connection=redis_server.connection())
    for periodic in jobs:
        scheduler.register(
            periodic.job.resolve(),
            queue_name=periodic.job.queue,
            interval=periodic.interval,
            job_timeout=periodic.job.timeout,
            result_ttl=periodic.job.result_ttl,
            failure_ttl=FAILURE_TTL,
        )
    return scheduler

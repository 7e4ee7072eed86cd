"""A domain service process: its parts, their start and orderly stop, and its command line.

One process runs the gRPC server, the Kafka consumer, the outbox relay, the timer runner, the
settings listener, the service's own workers and the health/metrics HTTP port, each on its own
thread. If any part dies,
the whole process exits non-zero so the supervisor (Kubernetes, or `make run`) notices.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from servicekit import dlq_replay, housekeeping, logs, metrics, migrations, settings_service
from servicekit.audit import AuditLog
from servicekit.clock import Clock, SystemClock, clock_from_environment
from servicekit.config import MissingSetting, ServiceSettings, load_service_settings
from servicekit.consumer import EventConsumer, Subscription
from servicekit.database import Database
from servicekit.grpc_server import GrpcServer, Registration
from servicekit.grpc_tls import GrpcTls
from servicekit.health_http import HealthServer
from servicekit.outbox import Outbox
from servicekit.relay import OutboxRelay
from servicekit.settings_listener import SettingsListener
from servicekit.settings_store import CountySettings
from servicekit.timer_runner import TimerRunner
from servicekit.timers import TimerHandler
from servicekit.topics import TOPIC_OF_SERVICE
from servicekit.unit_of_work import UnitsOfWork

log = logging.getLogger(__name__)


@dataclass
class Wiring:
    """What a service contributes: its RPCs, the events it consumes, the handlers of its timers
    by kind, the units of work its handlers (its consumer, its timers) change state in, its
    county settings (served over SettingsService, kept fresh by the settings listener), and any
    loops of its own (workers) that run beside them."""

    registrations: list[Registration]
    units: UnitsOfWork
    subscriptions: list[Subscription[Any]] = field(default_factory=list)
    timers: dict[str, TimerHandler] = field(default_factory=dict)
    settings: CountySettings | None = None
    # Loops of the service's own (name -> loop), each on its own thread until the stop event is set.
    workers: dict[str, Callable[[threading.Event], None]] = field(default_factory=dict)


# Given the database, the service's outbox and the clock, a service builds its wiring.
Build = Callable[[Database, Outbox, Clock], Wiring]


class ServiceProcess:
    def __init__(self, settings: ServiceSettings, build: Build, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or SystemClock()
        metrics.set_build_info(settings.name)
        self.db = Database(settings.database_url)
        self.outbox = Outbox(TOPIC_OF_SERVICE[settings.name])
        wiring = build(self.db, self.outbox, self.clock)
        registrations = [*wiring.registrations, AuditLog(self.db, self.clock).registration()]
        if wiring.settings is not None:
            registrations.append(settings_service.registration(wiring.settings))
        self.settings_listener = (SettingsListener(wiring.settings, settings.runtime)
                                  if wiring.settings is not None else None)
        runtime = settings.runtime
        self.grpc = GrpcServer(settings.grpc_addr, registrations, runtime.signing_key(), runtime.grpc_max_workers,
                               self.clock, tls=GrpcTls.from_settings(runtime),
                               max_connection_age_s=runtime.grpc_max_connection_age_s,
                               max_connection_age_grace_s=runtime.grpc_max_connection_age_grace_s)
        holder = f"{socket.gethostname()}:{os.getpid()}"
        self.relay = OutboxRelay(self.db, self.outbox, settings.runtime, self.clock, holder)
        # Run even with no kinds registered: a timer of a kind no longer handled then shows in the
        # metrics (lianyi_timers_unhandled_due) instead of waiting unseen, for one indexed query
        # per poll interval.
        self.timers = TimerRunner(wiring.units, wiring.timers, settings.runtime, self.clock, holder)
        self.consumer = (
            EventConsumer(group=settings.name, units=wiring.units, subscriptions=wiring.subscriptions,
                          settings=settings.runtime, clock=self.clock)
            if wiring.subscriptions else None
        )
        self.workers = dict(wiring.workers)
        self.health = HealthServer(settings.http_addr, {"database": self.db.ping})
        self.stop_event = threading.Event()
        self.failed = threading.Event()
        self._threads: list[threading.Thread] = []

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        def guarded() -> None:
            try:
                target(self.stop_event)
            except Exception:
                log.exception("%s died; stopping the process", name)
                self.failed.set()
                self.stop_event.set()

        thread = threading.Thread(target=guarded, name=name)
        thread.start()
        self._threads.append(thread)

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; returns the exit code."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop_event.set())
        self.health.start()
        self.grpc.start()
        self._spawn("relay", self.relay.run)
        self._spawn("timers", self.timers.run)
        if self.consumer:
            self._spawn("consumer", self.consumer.run)
        if self.settings_listener:
            self._spawn("settings", self.settings_listener.run)
        for name, worker in self.workers.items():
            self._spawn(name, worker)
        log.info("%s serving gRPC on %s (%s), health on %s", self.settings.name, self.settings.grpc_addr,
                 "plaintext" if self.grpc.tls is None else ("mutual TLS" if self.grpc.tls.mutual else "TLS"),
                 self.settings.http_addr)
        self.stop_event.wait()
        log.info("%s stopping", self.settings.name)
        self.grpc.stop()
        for thread in self._threads:
            thread.join(timeout=30)
        self.health.stop()
        self.db.dispose()
        return 1 if self.failed.is_set() else 0


# Extra commands a service offers: name -> fn(settings, argument) -> exit code.
Command = Callable[[ServiceSettings, str], int]


def main(name: str, build: Build, argv: list[str] | None = None,
         commands: dict[str, Command] | None = None) -> int:
    """`python -m services.<name> [serve|migrate|prune|replay-dlq|<extra command> [argument]]`."""
    commands = commands or {}
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", "migrate", "prune", "replay-dlq", *commands])
    parser.add_argument("argument", nargs="?", default="")
    parser.add_argument("--topic", action="append", default=[],
                        help="replay-dlq: only this topic's DLQ (the topic or its .dlq twin; repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="replay-dlq: only report what would be replayed")
    args = parser.parse_args(argv)
    if (args.topic or args.dry_run) and args.command != "replay-dlq":
        parser.error("--topic and --dry-run are options of replay-dlq")
    settings = load_service_settings(name)
    logs.configure(name, settings.runtime.log_level)
    if args.command == "migrate":
        db = Database(settings.database_url)
        migrations.upgrade(db, name)
        db.dispose()
        log.info("%s database migrated", name)
        return 0
    # One source of time for serving and for the batch commands: a local run that moved its clock
    # (tests, LIANYI_TEST_CLOCK_FILE) prunes and replays on the moved time, as it serves on it.
    # The batch commands listen nowhere; the database rule (SQLite only) holds for them too.
    if args.command == "prune":
        return _prune(settings, clock_from_environment([], settings.database_url))
    if args.command == "replay-dlq":
        return _replay_dlq(settings, build, args.topic, args.dry_run, clock_from_environment([], settings.database_url))
    if args.command in commands:
        return commands[args.command](settings, args.argument)
    clock = clock_from_environment([settings.grpc_addr, settings.http_addr], settings.database_url)
    try:
        process = ServiceProcess(settings, build, clock)
    except MissingSetting as exc:
        raise SystemExit(str(exc)) from None
    return process.run()


def _prune(settings: ServiceSettings, clock: Clock) -> int:
    db = Database(settings.database_url)
    try:
        housekeeping.run(settings.name, settings.runtime, db, clock)
    finally:
        db.dispose()
    return 0


def _replay_dlq(settings: ServiceSettings, build: Build, only: list[str], dry_run: bool, clock: Clock) -> int:
    """Replay through the service's own wiring (its subscriptions and units of work), built as
    `serve` builds it but with nothing started: the running replicas' relays publish whatever
    the replayed events cause."""
    db = Database(settings.database_url)
    try:
        wiring = build(db, Outbox(TOPIC_OF_SERVICE[settings.name]), clock)
        try:
            report = dlq_replay.run(settings.name, settings.runtime, wiring.units, wiring.subscriptions, clock,
                                    only, dry_run)
        except ValueError as exc:  # a --topic the service does not consume: a wrong command line
            print(f"replay-dlq: {exc}", file=sys.stderr)
            return 2
    finally:
        db.dispose()
    for replay in report.replays:
        print(f"{replay.outcome:16} {replay.event_id or '?':40} {replay.dlq_topic}@{replay.dlq_offset}"
              f"{'  ' + replay.error if replay.error else ''}")
    print(", ".join(f"{n} {outcome}" for outcome, n in sorted(report.counts().items())) or "nothing dead-lettered")
    if report.incomplete:
        print(f"incomplete: the DLQs were not read to their end ({report.incomplete}); run again")
    return report.exit_status()

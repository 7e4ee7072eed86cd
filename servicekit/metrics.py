"""The Prometheus metrics every process exposes. Names are shared so dashboards work for all."""
from __future__ import annotations

import logging
from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, push_to_gateway

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# An event's lag is not a request's latency: a consumer catching up after an outage, or a relay
# without a broker, is minutes to hours behind, and the alert on it (deploy/k8s/components/
# monitoring/rules.yaml) must tell 1 minute from 10 from 1 hour, not see it all as "+Inf".
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)

build_info = Gauge(
    "lianyi_build_info", "Always 1: the version of lianyi this process runs", ["version", "service"],
    multiprocess_mode="max",
)

# The gRPC certificate this process presents, as last loaded (servicekit.grpc_tls: read again when
# the files change). cert-manager renews at 30 days left; an end nearer than that means the renewal
# or the reload did not happen (alert LianyiGrpcCertificateExpiring). The gateway's workers each
# load it: the soonest of the live ones counts.
grpc_tls_certificate_expiry = Gauge(
    "lianyi_grpc_tls_certificate_expiry_timestamp_seconds",
    "When the gRPC TLS certificate this process presents expires (its notAfter), as last loaded",
    multiprocess_mode="livemin",
)


def version() -> str:
    """The installed lianyi distribution's version (the image installs it; so does `make install`)."""
    try:
        return metadata.version("lianyi")
    except metadata.PackageNotFoundError:
        return "unknown"


def set_build_info(service: str) -> None:
    """Expose lianyi_build_info{version, service} 1, so dashboards and alerts can tell versions apart
    during a rollout."""
    build_info.labels(version(), service).set(1)


rpc_duration = Histogram(
    "lianyi_rpc_duration_seconds", "gRPC server handling time by method and status code",
    ["method", "code"], buckets=_LATENCY_BUCKETS,
)
http_duration = Histogram(
    "lianyi_http_request_duration_seconds", "HTTP request handling time by route and status",
    ["method", "route", "status"], buckets=_LATENCY_BUCKETS,
)
events_published = Counter(
    "lianyi_events_published_total", "Events the outbox relay published", ["topic"],
)
events_consumed = Counter(
    "lianyi_events_consumed_total",
    "Events a consumer finished with, by outcome (applied, duplicate, ignored, dead_lettered)",
    ["topic", "event_type", "outcome"],
)
consumer_errors = Counter(
    "lianyi_consumer_errors_total", "Failures while consuming, by kind", ["topic", "kind"],
)
event_lag = Histogram(
    "lianyi_event_lag_seconds", "Time from an event's occurrence to its application here",
    ["topic"], buckets=LAG_BUCKETS,
)
# Every replica measures the backlog itself (servicekit/relay.py: the holder each pass, the others
# every few seconds by one indexed count), rather than non-holders reporting 0 or NaN: so the value
# is right on every replica, a former holder never reports its last figure, and alerts take
# `max by (service)` without joining on the lease holder (which also shows the backlog while no
# replica holds the lease at all, exactly when it grows).
outbox_backlog = Gauge(
    "lianyi_outbox_backlog", "Outbox rows not yet published (measured by every replica)", multiprocess_mode="max",
)
outbox_oldest_pending = Gauge(
    "lianyi_outbox_oldest_pending_seconds",
    "How long the oldest outbox row not yet published has waited (measured by every replica)",
    multiprocess_mode="max",
)
# The same as lianyi_lease_held{lease="outbox"}; kept, as dashboards and checks already read it.
relay_lease_held = Gauge(
    "lianyi_relay_lease_held", "1 while this process holds the outbox relay lease", multiprocess_mode="max",
)
# Every fenced lease (servicekit.relay.Lease): outbox (the relay), timers, platform (dispatch).
lease_held = Gauge(
    "lianyi_lease_held", "1 while this process holds the named lease, else 0", ["lease"], multiprocess_mode="max",
)
lease_acquired = Counter(
    "lianyi_lease_acquired_total",
    "Times this process took a lease (a new generation): steadily rising across replicas means the lease flaps",
    ["lease"],
)
relay_errors = Counter("lianyi_relay_errors_total", "Failed attempts to publish the outbox")

# --- Timers (servicekit/timer_runner.py) ---
timers_fired = Counter("lianyi_timers_fired_total", "Timers fired, by kind", ["kind"])
timer_attempts_failed = Counter(
    "lianyi_timer_attempts_failed_total", "Attempts to fire a timer that failed (and were retried or given up)",
    ["kind"],
)
timers_failed = Counter(
    "lianyi_timers_failed_total", "Timers given up on: they will never fire (see the timers table)", ["kind"],
)
timers_due = Gauge(
    "lianyi_timers_due", "Timers due now and not yet fired (on the replica firing them)", multiprocess_mode="max",
)
timers_oldest_overdue = Gauge(
    "lianyi_timers_oldest_overdue_seconds", "How long past its due time the oldest pending timer is",
    multiprocess_mode="max",
)
timers_unhandled_due = Gauge(
    "lianyi_timers_unhandled_due", "Timers due whose kind this replica has no handler for: they wait for one that does",
    multiprocess_mode="max",
)
timer_runner_errors = Counter("lianyi_timer_runner_errors_total", "Failed passes of the timer runner (database)")

# --- County settings (servicekit/settings_listener.py) ---
settings_changes_heard = Counter(
    "lianyi_settings_changes_heard_total", "Changes to this service's settings heard on lianyi.settings.v1",
)
settings_listener_errors = Counter(
    "lianyi_settings_listener_errors_total",
    "Failures of the settings listener (meanwhile cached settings expire after their safety TTL)",
)

# --- Batch commands (servicekit/housekeeping.py, servicekit/dlq_replay.py) ---
# In a registry of their own, pushed to a Pushgateway when one is configured (see push_jobs):
# the command's pod is gone before a scrape could find it, and a serving process has none of it.
JOBS = CollectorRegistry()
rows_pruned = Counter(
    "lianyi_rows_pruned_total", "Rows housekeeping deleted, by table (outbox: published; inbox: applied)",
    ["service", "table"], registry=JOBS,
)
dlq_replayed = Counter(
    "lianyi_dlq_replayed_total",
    "Dead-lettered events replay-dlq went through, by outcome (replayed, already_applied, failed, undecodable, "
    "not_subscribed)",
    ["service", "topic", "outcome"], registry=JOBS,
)
job_last_success = Gauge(
    "lianyi_job_last_success_timestamp_seconds", "When a batch command last finished without a failure",
    ["service", "command"], registry=JOBS,
)


def push_jobs(gateway: str | None, service: str, command: str) -> None:
    """Push the batch commands' metrics to a Pushgateway, if one is configured; a failure to push
    is logged, not raised: the work is done, and its counts are in the log too."""
    if not gateway:
        return
    try:
        push_to_gateway(gateway, job=f"lianyi-{command}", grouping_key={"service": service}, registry=JOBS,
                        timeout=10)
    except Exception:
        logging.getLogger(__name__).warning("could not push %s's metrics to %s", command, gateway, exc_info=True)

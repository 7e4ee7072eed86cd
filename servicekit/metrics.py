"""The Prometheus metrics every process exposes. Names are shared so dashboards work for all."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

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
    ["topic"], buckets=_LATENCY_BUCKETS,
)
outbox_backlog = Gauge(
    "lianyi_outbox_backlog", "Outbox rows not yet published", multiprocess_mode="max",
)
relay_lease_held = Gauge(
    "lianyi_relay_lease_held", "1 while this process holds the outbox relay lease", multiprocess_mode="max",
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

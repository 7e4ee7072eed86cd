"""Settings: environment variables read once into typed objects, failing fast on nonsense.

The defaults are the embedded local run: SQLite under var/, Tansu on 127.0.0.1:9092.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import limits
import limits.errors
import limits.storage
from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("intake", "deliberation", "dispatch", "evaluation")

# (gRPC port, health/metrics HTTP port) of each domain service in the local run. Below the
# kernel's ephemeral range (32768+ on Linux): there an outgoing connection, or one closed less
# than a minute ago, may hold the port and the service cannot bind it.
DEFAULT_PORTS = {
    "intake": (9201, 9101),
    "deliberation": (9202, 9102),
    "dispatch": (9203, 9103),
    "evaluation": (9204, 9104),
}

# The gateway's Prometheus scrape in the local run (its API is on 8080): next to the domain
# services' 9101-9104, not on 9100, where a developer's node_exporter usually listens. The
# Kubernetes manifests set 9100 explicitly (every pod has its own address there).
DEFAULT_GATEWAY_METRICS_ADDR = "127.0.0.1:9105"


class MissingSetting(RuntimeError):
    """A setting the process cannot run without. An exception, not SystemExit: gunicorn halts on
    a worker that fails to boot with one, but restarts forever a worker that exits."""


def _check_address(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, got {value!r}")
    return value


class RuntimeSettings(BaseSettings):
    """What every process shares: where the broker is, Kafka timings, logging."""

    model_config = SettingsConfigDict(env_prefix="LIANYI_", extra="ignore")

    var_dir: Path = Path("var")
    broker: str = "127.0.0.1:9092"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Tansu finishes a group join only after the rebalance timeout, which kafka-python takes
    # from max_poll_interval_ms: a few seconds locally, minutes in production.
    kafka_max_poll_interval_ms: int = Field(5000, ge=1000)
    kafka_session_timeout_ms: int = Field(6000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(1000, ge=100)
    kafka_max_poll_records: int = Field(200, ge=1, le=5000)
    # Idle consumers long-poll: 10 ms would cost each consumer and the broker ~10% of a core
    # doing nothing. With fetch_min_bytes this is also how long a record may wait to be fetched
    # with others: 250 rather than 100 ms cut consumer and broker CPU per event by a third to a
    # half under load (make bench) for at most a quarter second per hop when quiet.
    kafka_fetch_max_wait_ms: int = Field(250, ge=0)
    # The same for a reader outside any group (the settings listener): on Tansu a fetch is not
    # cut short when a record arrives, so this is how soon another replica hears a settings
    # change. 1000 rather than 250 ms cut an idle listener's CPU from ~51 to ~23 ms per second
    # (measured), in each of the four service processes.
    kafka_reader_fetch_max_wait_ms: int = Field(1000, ge=0)
    # A fetch waits up to fetch_max_wait_ms for this much data: under load, fuller polls mean
    # fewer transactions (consumer CPU per event -25%); when quiet it costs at most that wait.
    kafka_fetch_min_bytes: int = Field(65536, ge=1)
    # TLS to the broker (Strimzi's TLS listener with `tls` client authentication): the cluster
    # CA and this service's KafkaUser certificate and key, as files. PLAINTEXT locally.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_certfile: Path | None = None
    kafka_ssl_keyfile: Path | None = None
    topic_partitions: int = Field(4, ge=1, le=256)
    # Threads serving gRPC calls. Calls are short and SQLite has one writer, so more threads
    # mostly add GIL contention locally; raise it where the database is remote (PostgreSQL).
    grpc_max_workers: int = Field(2, ge=1, le=256)
    # A server closes each connection after this long (grpc adds +-10% jitter), letting calls on
    # it finish within the grace. Clients then resolve the service's name again and balance over
    # every replica it returns: without it, a replica added by a scale-up gets no calls from
    # clients that were already connected.
    grpc_max_connection_age_s: float = Field(300, gt=0, le=86400)
    grpc_max_connection_age_grace_s: float = Field(30, ge=0, le=3600)
    # TLS between the processes (等保 2.0: encryption in transit), as PEM files: this process's
    # certificate and key (served by its gRPC server, presented when it calls another), and the
    # CA that signed everyone's. With the CA, TLS is mutual (a server requires a client
    # certificate the CA signed); without it, clients trust the system's CAs. None: plaintext,
    # as in the local run.
    # Read when a server or channel is made (servicekit.grpc_tls), not here: `migrate` reads
    # these settings too, without the files mounted.
    grpc_tls_cert: Path | None = None
    grpc_tls_key: Path | None = None
    grpc_tls_ca: Path | None = None
    relay_batch_size: int = Field(500, ge=1, le=10000)
    relay_idle_poll_s: float = Field(0.2, gt=0, le=10)
    # After publishing a batch the relay waits this long so load forms larger batches
    # (relay CPU per event roughly halves); after idleness the first event goes at once.
    relay_linger_s: float = Field(0.05, ge=0, le=1)
    # A handler failing this many times in a row sends the event to the DLQ.
    consumer_max_attempts: int = Field(5, ge=1, le=100)
    # The timer runner looks for due timers at least this often (so a clock that tests move
    # forward is noticed within it), and sooner when one falls due or is scheduled.
    timer_poll_s: float = Field(1.0, gt=0, le=60)
    # A timer whose handler fails this many times is marked failed and never fired.
    timer_max_attempts: int = Field(5, ge=1, le=100)
    # Signs the principal the gateway forwards to services, and the bearer tokens it issues.
    # Shared by every process (a Kubernetes Secret in production); `make run` makes one per var/.
    auth_signing_key: SecretStr | None = Field(None, min_length=32)
    auth_token_ttl_s: int = Field(3600, ge=60, le=86400)
    # Housekeeping (`python -m services.<name> prune`, a CronJob per service). Published outbox
    # rows are kept a while after publishing, so what a service sent can still be read (and sent
    # again by hand into a broker that lost it) after the fact.
    outbox_retention_h: float = Field(7 * 24, ge=1)
    # An inbox row is how a redelivered event is recognised; once pruned, that event would be
    # applied a second time. So keep each row longer than the broker can deliver its record
    # again: the consumed topics' retention (30 days: a group whose offsets expired rereads a
    # topic from its beginning) and the DLQ twins' (90 days: replay-dlq applies from there).
    # tests/deploy checks this against every KafkaTopic's retention.ms.
    inbox_retention_days: float = Field(120, ge=1)
    # Rows deleted per transaction: each batch is short, so no long lock on a hot table.
    prune_batch_size: int = Field(1000, ge=1, le=100_000)
    # Batch commands (prune, replay-dlq) push their counts here when set (a Prometheus
    # Pushgateway, host:port): a CronJob's pod is gone before anyone could scrape it.
    pushgateway: str | None = None

    def signing_key(self) -> str:
        """The signing key, or MissingSetting if it was not configured."""
        if self.auth_signing_key is None:
            raise MissingSetting("LIANYI_AUTH_SIGNING_KEY is not set (32+ characters, the same for every process)")
        return self.auth_signing_key.get_secret_value()

    @model_validator(mode="after")
    def _ssl_is_complete(self) -> RuntimeSettings:
        if self.kafka_security_protocol == "SSL" and self.kafka_ssl_cafile is None:
            raise ValueError("LIANYI_KAFKA_SECURITY_PROTOCOL=SSL needs LIANYI_KAFKA_SSL_CAFILE")
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError("LIANYI_KAFKA_SSL_CERTFILE and LIANYI_KAFKA_SSL_KEYFILE go together")
        return self

    @model_validator(mode="after")
    def _grpc_tls_is_complete(self) -> RuntimeSettings:
        if (self.grpc_tls_cert is None) != (self.grpc_tls_key is None):
            raise ValueError("LIANYI_GRPC_TLS_CERT and LIANYI_GRPC_TLS_KEY go together")
        if self.grpc_tls_ca is not None and self.grpc_tls_cert is None:
            raise ValueError("LIANYI_GRPC_TLS_CA (mutual TLS) needs LIANYI_GRPC_TLS_CERT and LIANYI_GRPC_TLS_KEY")
        return self

    @field_validator("broker")
    @classmethod
    def _broker_is_address(cls, value: str) -> str:
        for part in value.split(","):
            _check_address(part.strip())
        return value


class ServiceSettings(BaseModel):
    """One domain service process: its own addresses and database."""

    name: str
    grpc_addr: str
    http_addr: str
    database_url: str
    runtime: RuntimeSettings

    @field_validator("grpc_addr", "http_addr")
    @classmethod
    def _is_address(cls, value: str) -> str:
        return _check_address(value)


def grpc_addr(name: str) -> str:
    """Where service `name`'s gRPC server is: it binds there, clients dial it."""
    return os.environ.get(f"LIANYI_{name.upper()}_GRPC_ADDR", f"127.0.0.1:{DEFAULT_PORTS[name][0]}")


def through_host(url: str, host: str) -> str:
    """The database URL with its host (and port, if `host` is host:port) replaced: the same
    database, user and password reached through a connection pooler (PgBouncer) in front of the
    server the URL names. The database's own secret keeps naming the server, which migrations use
    directly. (No SQLAlchemy here: the gateway imports this module and must not load it.)"""
    parts = urlsplit(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    if ":" not in host.rpartition("]")[2] and parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}"))


def load_service_settings(name: str) -> ServiceSettings:
    """Read a service's settings from LIANYI_<NAME>_* and the shared LIANYI_* variables."""
    if name not in DEFAULT_PORTS:
        raise ValueError(f"unknown service {name!r}")
    runtime = RuntimeSettings()
    prefix = f"LIANYI_{name.upper()}_"
    default_db = f"sqlite:///{runtime.var_dir / (name + '.db')}"
    database_url = os.environ.get(prefix + "DATABASE_URL", default_db)
    # A pooler in front of the database the URL names (Kubernetes: CloudNativePG's Pooler, while
    # the URL comes from the operator's own `<cluster>-app` secret and names the primary).
    if via := os.environ.get(prefix + "DATABASE_VIA"):
        database_url = through_host(database_url, via)
    return ServiceSettings(
        name=name,
        grpc_addr=grpc_addr(name),
        http_addr=os.environ.get(prefix + "HTTP_ADDR", f"127.0.0.1:{DEFAULT_PORTS[name][1]}"),
        database_url=database_url,
        runtime=runtime,
    )


class GatewaySettings(BaseModel):
    """The public edge: its HTTP address and where each service's gRPC is."""

    http_addr: str
    upstreams: dict[str, str]
    max_body_bytes: int = Field(ge=1024)
    rpc_timeout_s: float = Field(gt=0)
    workers: int = Field(ge=1, le=64)
    threads: int = Field(ge=1, le=256)
    # The one jurisdiction_id /open311/v2 answers to (GeoReport v2 lets a client leave it out).
    open311_jurisdiction: str = Field("lianyi", min_length=1, max_length=100)
    # Rate limits for callers without credentials (flask-limiter's notation), and where the counts
    # live: memory:// is per gunicorn worker; a redis:// URI shares them across workers and replicas.
    public_rate: str = Field("120/minute", min_length=1, max_length=100)
    sign_in_rate: str = Field("10/minute", min_length=1, max_length=100)
    rate_limit_storage: str = Field("memory://", min_length=1, max_length=500)
    # Prepended to the limiter's keys: deployments (or test runs) sharing one Redis keep apart.
    rate_limit_key_prefix: str = Field("lianyi", pattern=r"^[A-Za-z0-9._-]{1,100}$")
    # How many proxies in front of the gateway append to X-Forwarded-For (an ingress: 1). The
    # client is the address that many hops back; 0 trusts no forwarding header, so on the local
    # run, with nothing in front, a client cannot pick the address its rate limit is counted by.
    proxy_hops: int = Field(0, ge=0, le=5)
    # Prometheus' scrape, served by gunicorn's master process (summing its workers), apart from
    # the public port so an ingress routing the API never exposes it.
    metrics_addr: str = DEFAULT_GATEWAY_METRICS_ADDR

    @field_validator("http_addr", "metrics_addr")
    @classmethod
    def _is_address(cls, value: str) -> str:
        return _check_address(value)

    @field_validator("public_rate", "sign_in_rate")
    @classmethod
    def _is_rate(cls, value: str) -> str:
        # Checked here, at start: flask-limiter parses them only on the first request, and would
        # answer every one with a 500.
        try:
            limits.parse_many(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is no rate limit like '120/minute' ({exc})") from None
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _is_storage(cls, value: str) -> str:
        # Builds the storage without connecting: an unknown scheme, or one whose client library
        # is not installed (redis:// needs the redis package), is refused now, not per request.
        try:
            limits.storage.storage_from_string(value)
        except limits.errors.ConfigurationError as exc:
            raise ValueError(f"{value!r}: {exc}") from None
        return value


def load_gateway_settings() -> GatewaySettings:
    """The gateway's settings from its LIANYI_GATEWAY_* variables. The values go to the model as
    the strings they are: its validation converts the numbers, so `LIANYI_GATEWAY_PROXY_HOPS=one`
    is refused naming the setting, like any other nonsense, not with a traceback from int()."""
    env = os.environ.get
    return GatewaySettings.model_validate({
        "http_addr": env("LIANYI_GATEWAY_HTTP_ADDR", "127.0.0.1:8080"),
        "upstreams": {name: grpc_addr(name) for name in SERVICES},
        "max_body_bytes": env("LIANYI_GATEWAY_MAX_BODY_BYTES", "65536"),
        "rpc_timeout_s": env("LIANYI_GATEWAY_RPC_TIMEOUT_S", "5"),
        "workers": env("LIANYI_GATEWAY_WORKERS", "2"),
        "threads": env("LIANYI_GATEWAY_THREADS", "8"),
        "open311_jurisdiction": env("LIANYI_GATEWAY_OPEN311_JURISDICTION", "lianyi"),
        "public_rate": env("LIANYI_GATEWAY_PUBLIC_RATE", "120/minute"),
        "sign_in_rate": env("LIANYI_GATEWAY_SIGN_IN_RATE", "10/minute"),
        "rate_limit_storage": env("LIANYI_GATEWAY_RATE_LIMIT_STORAGE", "memory://"),
        "rate_limit_key_prefix": env("LIANYI_GATEWAY_RATE_LIMIT_KEY_PREFIX", "lianyi"),
        "proxy_hops": env("LIANYI_GATEWAY_PROXY_HOPS", "0"),
        "metrics_addr": env("LIANYI_GATEWAY_METRICS_ADDR", DEFAULT_GATEWAY_METRICS_ADDR),
    })

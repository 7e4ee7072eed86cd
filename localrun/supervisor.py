"""The whole system on one machine: broker, topics, migrations, four services and the gateway.

`make run` uses it with the default addresses; the end-to-end tests use it with free ports and
a temporary directory, so what the tests exercise is exactly what a developer runs. The tests
also give its processes a clock they can move forward (`movable_clock`, `move_clock`).
"""
from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from localrun import clock, ports, processes
from localrun.broker import start_tansu
from servicekit.clock import TEST_CLOCK_VARIABLE
from servicekit.config import DEFAULT_GATEWAY_METRICS_ADDR, DEFAULT_PORTS, SERVICES, RuntimeSettings
from servicekit.kafka import ensure_topics

log = logging.getLogger(__name__)


@dataclass
class Addresses:
    broker: str = "127.0.0.1:9092"
    gateway: str = "127.0.0.1:8080"
    gateway_metrics: str = DEFAULT_GATEWAY_METRICS_ADDR
    grpc: dict[str, str] = field(default_factory=lambda: {s: f"127.0.0.1:{p[0]}" for s, p in DEFAULT_PORTS.items()})
    http: dict[str, str] = field(default_factory=lambda: {s: f"127.0.0.1:{p[1]}" for s, p in DEFAULT_PORTS.items()})

    @classmethod
    def from_environment(cls) -> Addresses:
        env = os.environ.get
        default = cls()
        return cls(
            broker=env("LIANYI_BROKER", default.broker),
            gateway=env("LIANYI_GATEWAY_HTTP_ADDR", default.gateway),
            gateway_metrics=env("LIANYI_GATEWAY_METRICS_ADDR", default.gateway_metrics),
            grpc={s: env(f"LIANYI_{s.upper()}_GRPC_ADDR", a) for s, a in default.grpc.items()},
            http={s: env(f"LIANYI_{s.upper()}_HTTP_ADDR", a) for s, a in default.http.items()},
        )

    @classmethod
    def free(cls) -> Addresses:
        port = lambda: f"127.0.0.1:{processes.free_port()}"  # noqa: E731
        return cls(broker=port(), gateway=port(), gateway_metrics=port(), grpc={s: port() for s in SERVICES},
                   http={s: port() for s in SERVICES})

    def wanted(self) -> list[ports.Wanted]:
        """Every address the local run listens on, with what listens there and how to move it."""
        return [w for name in ("broker", *SERVICES, "gateway") for w in self.wanted_by(name)]

    def wanted_by(self, process: str) -> list[ports.Wanted]:
        if process == "broker":
            return [ports.Wanted(self.broker, "broker", "LIANYI_BROKER")]
        if process == "gateway":
            return [ports.Wanted(self.gateway, "gateway HTTP", "LIANYI_GATEWAY_HTTP_ADDR"),
                    ports.Wanted(self.gateway_metrics, "gateway metrics HTTP", "LIANYI_GATEWAY_METRICS_ADDR")]
        prefix = f"LIANYI_{process.upper()}"
        return [ports.Wanted(self.grpc[process], f"{process} gRPC", f"{prefix}_GRPC_ADDR"),
                ports.Wanted(self.http[process], f"{process} health/metrics HTTP", f"{prefix}_HTTP_ADDR")]


class LocalSystem:
    def __init__(self, var_dir: Path, addresses: Addresses, extra_env: dict[str, str] | None = None,
                 movable_clock: bool = False):
        """`movable_clock`: every process takes its time from a clock file under var/ that
        `move_clock` moves forward (for end-to-end tests; `make run` keeps real time)."""
        self.var_dir = var_dir.resolve()
        self.addresses = addresses
        self.extra_env = extra_env or {}
        self.log_dir = self.var_dir / "log"
        self.credentials = self.var_dir / "demo-credentials.json"
        self.clock_file = self.var_dir / "test-clock" if movable_clock else None
        self.broker: subprocess.Popen | None = None
        self.children: dict[str, subprocess.Popen] = {}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "LIANYI_VAR_DIR": str(self.var_dir),
            "LIANYI_BROKER": self.addresses.broker,
            "LIANYI_GATEWAY_HTTP_ADDR": self.addresses.gateway,
            "LIANYI_GATEWAY_METRICS_ADDR": self.addresses.gateway_metrics,
            "LIANYI_AUTH_SIGNING_KEY": os.environ.get("LIANYI_AUTH_SIGNING_KEY") or self._local_signing_key(),
        })
        # Only the gateway (several gunicorn workers) shares metrics through files.
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        for name in SERVICES:
            env[f"LIANYI_{name.upper()}_GRPC_ADDR"] = self.addresses.grpc[name]
            env[f"LIANYI_{name.upper()}_HTTP_ADDR"] = self.addresses.http[name]
        env.update(self.extra_env)
        # Only this flag moves time: not a variable left in the shell that runs `make run`.
        env.pop(TEST_CLOCK_VARIABLE, None)
        if self.clock_file is not None:
            env[TEST_CLOCK_VARIABLE] = str(self.clock_file)
        return env

    def move_clock(self, **delta: float) -> datetime:
        """Move every process's time forward by timedelta(**delta); returns the new time. Each
        process's next reading of its clock is already the moved time."""
        if self.clock_file is None:
            raise RuntimeError("this local run keeps real time; start it with movable_clock=True")
        clock.move_forward(self.clock_file, timedelta(**delta))
        return self.now()

    def now(self) -> datetime:
        """The time in this local run's processes: the system's, moved by `move_clock`."""
        if self.clock_file is None:
            return datetime.now(UTC)
        return clock.MovableClock(self.clock_file).now()

    def _local_signing_key(self) -> str:
        """One random key per var/, kept there so tokens survive a restart of `make run`."""
        path = self.var_dir / "signing-key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        with open(self.log_dir / f"{name}.log", "ab") as out:
            return subprocess.Popen(
                argv, env=env or self.env(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=processes.die_with_parent,
            )

    def start(self, timeout_s: float = 60) -> None:
        """Bring everything up, in order, and return once every process is ready; on failure
        nothing is left running. Taken ports are reported (with their holders) before anything starts."""
        ports.ensure_free(self.addresses.wanted())
        try:
            self._start(timeout_s)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout_s: float) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.clock_file is not None:
            clock.start(self.clock_file)
        self.broker = start_tansu(self.addresses.broker, self.log_dir / "broker.log")
        ensure_topics(RuntimeSettings(broker=self.addresses.broker))
        self.start_gateway(wait=False)  # it holds no state; it is ready once its upstreams are
        # Each service's database is migrated on a thread of its own (intake's then gets the demo
        # county), and the service starts as soon as its own is ready: make run comes up seconds
        # sooner. Children are started from this thread only: the kernel's parent-death signal
        # (processes.die_with_parent) follows the thread that started a child, and the pool's
        # threads end. (The gateway's start above made this var/'s signing key; threads only read it.)
        with ThreadPoolExecutor(len(SERVICES), thread_name_prefix="prepare") as pool:
            prepared = {pool.submit(self._prepare, name): name for name in SERVICES}
            for done in as_completed(prepared):
                done.result()  # a failed migration stops the start here
                self.start_service(prepared[done], wait=False)
        for name in SERVICES:
            self.wait_ready(name, timeout_s)
        self.wait_ready("gateway", timeout_s)

    def _prepare(self, name: str) -> None:
        self.migrate(name)
        if name == "intake" and not self.credentials.exists():
            self.seed_demo()

    def migrate(self, name: str) -> None:
        with open(self.log_dir / f"{name}.log", "ab") as out:
            subprocess.run([sys.executable, "-m", f"services.{name}", "migrate"], env=self.env(),
                           stdout=out, stderr=subprocess.STDOUT, check=True, timeout=120)

    def seed_demo(self) -> None:
        """Load the demo county and its accounts (an empty var/ only)."""
        with open(self.log_dir / "intake.log", "ab") as out:
            subprocess.run([sys.executable, "-m", "services.intake", "seed-demo", str(self.credentials)],
                           env=self.env(), stdout=out, stderr=subprocess.STDOUT, check=True, timeout=300)

    def start_service(self, name: str, wait: bool = True, timeout_s: float = 60) -> None:
        self.children[name] = self._spawn(name, [sys.executable, "-m", f"services.{name}", "serve"])
        if wait:
            self.wait_ready(name, timeout_s)

    def start_gateway(self, wait: bool = True, timeout_s: float = 60) -> None:
        self.children["gateway"] = self._spawn("gateway", [
            sys.executable, "-m", "gunicorn", "--config", "python:services.gateway.gunicorn_conf",
            "services.gateway.app:create_app()",
        ], env={**self.env(), "PROMETHEUS_MULTIPROC_DIR": str(self.var_dir / "prometheus-gateway")})
        if wait:
            self.wait_ready("gateway", timeout_s)

    def ready_url(self, name: str) -> str:
        address = self.addresses.gateway if name == "gateway" else self.addresses.http[name]
        return f"http://{address}/readyz"

    def wait_ready(self, name: str, timeout_s: float = 60) -> None:
        try:
            processes.wait_until_ready(self.ready_url(name), timeout_s, self.children[name])
        except (RuntimeError, TimeoutError) as exc:
            # A child that could not bind exits; whatever holds its port now is the culprit.
            taken = ports.conflicts(self.addresses.wanted_by(name)) if self.children[name].poll() is not None else []
            raise RuntimeError(f"{name} did not become ready ({exc}); see {self.log_dir / name}.log"
                               + "".join(f"\n  {problem}" for problem in taken)) from None

    def exited(self) -> dict[str, int]:
        """Children that have exited, with their exit codes."""
        found = {n: p.returncode for n, p in self.children.items() if p.poll() is not None}
        if self.broker is not None and self.broker.poll() is not None:
            found["broker"] = self.broker.returncode
        return found

    def stop(self) -> None:
        """Stop the edge first and the broker last, so in-flight work can finish; the services,
        which do not wait for each other, stop together."""
        if "gateway" in self.children:
            processes.stop(self.children.pop("gateway"))
        services = [self.children.pop(name) for name in SERVICES if name in self.children]
        processes.stop_all(services)
        if self.broker is not None:
            processes.stop(self.broker)
            self.broker = None

"""The rooms of the house keep to themselves: domain modules do no I/O, handlers take domain
events rather than payloads, and the gateway knows the services' contracts, not the services."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (including inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _modules(name: str) -> list[Path]:
    return sorted(p for p in SERVICES.rglob(name) if "gateway" not in p.relative_to(SERVICES).parts)


@pytest.mark.parametrize("path", _modules("domain.py"), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_modules_do_no_io_and_know_no_wire_format(path):
    forbidden = ("sqlalchemy", "flask", "grpc", "kafka", "lianyi.", "requests", "servicekit.database",
                 "servicekit.unit_of_work", "servicekit.consumer")
    bad = sorted(m for m in _imports(path) if m.startswith(forbidden) or m in ("grpc", "kafka"))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("path", _modules("handlers.py"), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_take_commands_and_domain_events_not_payloads(path):
    bad = sorted(m for m in _imports(path) if m.startswith("lianyi."))
    assert bad == [], f"{path.relative_to(ROOT)} imports generated protobuf modules {bad}"


def test_the_gateway_process_imports_no_service_internals_and_no_sqlalchemy():
    """Loads the app as gunicorn does, then lists what came with it."""
    script = ("import json, sys; from services.gateway.app import create_app; create_app(); "
              "print(json.dumps(sorted(sys.modules)))")
    env = {**os.environ, "LIANYI_AUTH_SIGNING_KEY": "k" * 40}
    loaded = json.loads(subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                                       text=True, check=True, timeout=60).stdout)
    internals = [m for m in loaded if m.startswith("services.") and not _contract_or_gateway(m)]
    assert internals == [], f"the gateway loads {internals}"
    assert not [m for m in loaded if m == "sqlalchemy" or m.startswith("sqlalchemy.")]
    assert "services.intake.contract" in loaded, "it does read intake's contract"


def _contract_or_gateway(module: str) -> bool:
    """services.gateway..., services.contract, a service's package or its contract module."""
    parts = module.split(".")
    return parts[1] in ("gateway", "contract") or len(parts) == 2 or (len(parts) == 3 and parts[2] == "contract")

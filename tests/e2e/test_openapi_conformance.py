"""The OpenAPI document tells the truth: schemathesis (property-based, every check it has) runs
against the real gateway, with the real services behind it, as a county administrator, a
resident and the county platform's integration, and finds nothing.

The run has a system of its own (its own temporary var/ and ports): it writes what it
generates (accounts, settings, directory entries), which must not change what the other
end-to-end tests find in theirs. It is bounded (examples per operation, a time budget per
caller) and seeded, so it takes the same cases each time and at most two minutes in all."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests

from localrun.supervisor import Addresses, LocalSystem
from tests.e2e.conftest import FAST_KAFKA

# Test cases per operation in the random phases. No time budget: schemathesis's max-time makes
# fuzzing repeat until it is spent, so the cases would depend on the machine's speed; a run that
# overstays is stopped (and fails) instead.
MAX_EXAMPLES = 8
OVERSTAY_S = 120
LINE_CHARS = 600  # of each line of a failure's report

# Rules the document cannot state (JSON Schema has no reference to other requests' data, to the
# caller's role or to another field's value), so a request that follows the document may still be
# refused with 422 by them. For these operations alone, a 422 to a schema-valid request is not
# a positive_data_acceptance failure; every other check, and that one's other statuses, still apply.
CANNOT_STATE = {
    # Ids in the body must name something in the caller's scope: a fact of the data, not of the form.
    "POST /api/v1/concerns": "neighbourhood_id must name a neighbourhood in the caller's scope",
    "POST /api/v1/visits": "household_id must name a household in the caller's scope",
    "POST /api/v1/concerns/{concern_id}/merge": "concern_ids must name other concerns of the survivor's neighbourhood",
    "POST /api/v1/talk-sessions": "venue_id must name a venue in the caller's scope",
    "POST /api/v1/directory/entities": "a kind's place depends on its parent's kind (a venue under a neighbourhood)",
    "POST /api/v1/accounts": "scope_id must name a place of the role's kind, entity_id the person's own within it",
    "POST /api/v1/api-keys": "scope_id must name a county, township, community or neighbourhood in the directory",
    # A stored fact the request does not carry: the attributes are those of the entity's kind
    # (each kind's are stated where it is created, POST /api/v1/directory/entities).
    "PATCH /api/v1/directory/entities/{entity_id}": "attributes must be those of the entity's kind",
    "POST /api/v1/matters/{task_id}/rating": "a resident rates for their own household only (the matter's)",
    "POST /api/v1/tasks/{task_id}/department-reports": "department_id is required when the platform reports (a role)",
    # A CSV body's structure (its header row) is no JSON Schema's to state.
    "POST /api/v1/directory/import": "a CSV body needs the header kind,external_id,parent_external_id,name",
    # A page token is one the service issued (state), not a form.
    "GET /api/v1/matters": "page_token must be one the service issued",
    "GET /api/v1/neighbourhoods/{neighbourhood_id}/topics": "page_token must be one the service issued",
    "GET /api/v1/neighbourhoods/{neighbourhood_id}/agenda": "page_token must be one the service issued",
    "GET /api/v1/tasks": "page_token must be one the service issued; the states allowed depend on list",
    "GET /api/v1/directory/entities": "page_token must be one the service issued",
    "GET /api/v1/neighbourhoods/{neighbourhood_id}/concerns": "page_token must be one the service issued",
    "GET /api/v1/neighbourhoods/{neighbourhood_id}/pool": "page_token must be one the service issued",
    "GET /api/v1/neighbourhoods/{neighbourhood_id}/talk-sessions": "page_token must be one the service issued",
    "GET /api/v1/audit": "page_token must be one the service issued",
    "GET /api/v1/platform/deliveries": "page_token must be one the service issued",
    # One field against another: JSON Schema compares no two values, and OpenAPI describes each
    # query parameter alone.
    "GET /api/v1/rates": "name exactly one of place_id, member_id, department_id",
    "GET /api/v1/neighbourhoods/{neighbourhood_id}/visit-coverage": "from must not be after to",
    "GET /api/v1/ledger": "from must not be after to",
    "GET /api/v1/members/{member_id}/ledger": "from must not be after to",
    "GET /api/v1/dispatch-figures": "from must not be after to",
    "PUT /api/v1/settings/{key}": "the value's schema is the key's (GET /api/v1/settings/{key} gives it)",
}
# A body over the gateway's limit is refused (413, in the document with the limit) before its
# schema is read: JSON Schema cannot bound a body's size in bytes, so a valid body may be too
# large (500 online messages of 2,000 characters), and an invalid one is refused by size rather
# than by its fault. 413 is an answer to either; the run's record (HAR) then shows that every 413
# answered a body over the limit, so a 413 for anything else still fails.
MAX_BODY_BYTES = 65536
POSITIVE_STATUSES = ["2XX", "3XX", 401, 403, 404, 409, 429, "5XX", 413]  # schemathesis's own default, and 413
NEGATIVE_STATUSES = [400, 401, 403, 404, 405, 406, 409, 415, 422, 428, 429, "5XX", 413]  # likewise

CONFIG = f"""
workers = 1
request-timeout = 10
continue-on-failure = true
[cache]
enabled = false
[generation]
max-examples = {MAX_EXAMPLES}
no-shrink = true
deterministic = true
database = "none"
[checks]
enabled = true
positive_data_acceptance.expected-statuses = {json.dumps(POSITIVE_STATUSES)}
negative_data_rejection.expected-statuses = {json.dumps(NEGATIVE_STATUSES)}
""" + "".join(f"""
# {reason}
[[operations]]
include-name = "{name}"
checks.positive_data_acceptance.expected-statuses = {json.dumps([*POSITIVE_STATUSES, 422])}
""" for name, reason in CANNOT_STATE.items())


@pytest.fixture(scope="module")
def own_system(tmp_path_factory):
    env = {**FAST_KAFKA, "LIANYI_LOG_LEVEL": "WARNING", "LIANYI_GATEWAY_MAX_BODY_BYTES": str(MAX_BODY_BYTES)}
    local = LocalSystem(tmp_path_factory.mktemp("conformance-var"), Addresses.free(), env)
    started = time.monotonic()
    try:
        local.start()
        print(f"\nthe conformance run's own system started in {time.monotonic() - started:.1f}s")
        yield local
    finally:
        local.stop()


def _callers(gateway: str, system: LocalSystem) -> dict[str, str]:
    demo = json.loads(system.credentials.read_text())

    def bearer(username: str) -> str:
        response = requests.post(f"{gateway}/api/v1/auth/token", timeout=30,
                                 json={"username": username, "password": demo["password"]})
        assert response.status_code == 200, response.text
        return f"Authorization: Bearer {response.json()['access_token']}"

    return {"county administrator": bearer("county.admin"), "resident": bearer("n1.resident"),
            "platform integration": f"X-Api-Key: {demo['api_key']['api_key']}"}


def _body_bytes(request: dict) -> int:
    text = request.get("postData", {}).get("text", "")
    return max(request.get("bodySize", 0), len(text.encode("utf-8")))


def _said(entry: dict) -> str:
    return f"{entry['request']['method']} {entry['request']['url'][:200]}: {_body_bytes(entry['request'])} bytes"


def _failures_of(stdout: str) -> str:
    """The failures themselves (each with a curl line to reproduce it), not the warnings after
    them; each line cut, as a generated body can be tens of kilobytes, so every failure shows."""
    start = max(stdout.find("FAILURES"), 0)
    end = stdout.find("WARNINGS", start)
    return "\n".join(line[:LINE_CHARS] for line in stdout[start:end if end > 0 else None].splitlines())


def test_the_gateway_does_what_its_openapi_document_says(own_system, tmp_path):
    gateway = f"http://{own_system.addresses.gateway}"
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    figures, findings = {}, {}
    for caller, header in _callers(gateway, own_system).items():
        reports = tmp_path / caller.replace(" ", "-")
        started = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
             f"{gateway}/openapi.json", "--header", header, "--checks", "all",
             "--report", "json,har", "--report-json-path", str(reports / "run.json"),
             "--report-har-path", str(reports / "requests.har"), "--no-color"],
            cwd=tmp_path, capture_output=True, text=True, timeout=OVERSTAY_S)
        summary = json.loads((reports / "run.json").read_text())
        entries = json.loads((reports / "requests.har").read_text())["log"]["entries"]
        sent = len(entries)
        too_large = [_said(entry) for entry in entries if entry["response"]["status"] == 413
                     and _body_bytes(entry["request"]) <= MAX_BODY_BYTES]
        if too_large:
            findings[f"{caller} (413 for a body within the limit)"] = "\n".join(too_large[:5])
        failures = sum(group["count"] for group in summary["failures"])
        refused_by_size = sum(entry["response"]["status"] == 413 for entry in entries)
        figures[caller] = (sent, failures, summary["test_cases"]["errored"], refused_by_size,
                           time.monotonic() - started)
        if run.returncode != 0 or failures or summary["errors"]:
            findings[caller] = _failures_of(run.stdout) + run.stderr[-3000:]
    print("\nschemathesis against the gateway (caller: requests sent, failures, errors, 413s, seconds)")
    for caller, (sent, failures, errored, refused_by_size, seconds) in figures.items():
        print(f"  {caller}: {sent} requests, {failures} failures, {errored} errors, {refused_by_size} over "
              f"{MAX_BODY_BYTES} bytes, {seconds:.0f}s")
    assert not findings, "\n\n".join(f"== as the {caller}\n{text}" for caller, text in findings.items())

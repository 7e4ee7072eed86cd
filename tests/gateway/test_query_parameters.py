"""Query strings the gateway refuses by itself: a 422 problem, and no service is asked."""
from __future__ import annotations

import pytest

from tests.gateway.answers import problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY, N1

BAD_QUERIES = [
    # the deliberation pool's paging
    f"/api/v1/neighbourhoods/{N1}/pool?page_size=0",
    f"/api/v1/neighbourhoods/{N1}/pool?page_size=ten",
    f"/api/v1/neighbourhoods/{N1}/pool?colour=blue",
    f"/api/v1/neighbourhoods/{N1}/pool?page_size=--5",
    f"/api/v1/neighbourhoods/{N1}/pool?page_size=%C2%B2",  # a superscript two is a digit to str.isdigit
    # the directory, the routing table, door-visit coverage, the audit log
    "/api/v1/directory/entities?kind=spaceship",
    "/api/v1/triage-rules",  # scope_id is required
    f"/api/v1/neighbourhoods/{N1}/visit-coverage?from=2026-01-01",
    f"/api/v1/neighbourhoods/{N1}/visit-coverage?from=Jan%201&to=Feb%201",
    f"/api/v1/neighbourhoods/{N1}/visit-coverage?from=2026-13-01&to=2026-12-31",  # no such month
    f"/api/v1/neighbourhoods/{N1}/visit-coverage?from=0001-01-01&to=2026-12-31",  # before the years
    "/api/v1/audit?since=yesterday",
    "/api/v1/audit?since=2026-11-01T08:00:00",  # no time zone
    "/api/v1/audit?service=payroll",
]


@pytest.mark.parametrize("path", BAD_QUERIES)
def test_a_bad_query_is_a_clear_problem_and_asks_no_service(client, fake, path):
    problem_of(client.get(path, headers=bearer("county_admin", (COUNTY,))), 422)
    assert fake.calls == []

"""Dispatch's bodies and query strings the gateway refuses by itself: a 422 problem naming the field,
and no service asked. Only shape and bounds (services/dispatch/contract.py's); whose turn a step is
and whether the task can take it are the service's to refuse."""
from __future__ import annotations

import pytest

from services.dispatch import contract
from tests.gateway.answers import problem_of, reasons
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY
from tests.gateway.canned_tasks import opened

TASK = "/api/v1/tasks/task-0001"
TOO_LONG = "x" * (contract.NOTE_MAX_CHARS + 1)
REPORT = {"kind": "report_in", "callback_id": "cb-1"}
DEPARTMENTS = [f"department-{i:04}" for i in range(contract.DEPARTMENTS_MAX + 1)]

BAD_BODIES = [
    # (case, who, path after the task, body, what the problem names)
    ("assignment without a member", "party_secretary", "assignment", {}, "member_id: Field required"),
    ("assignment to an empty member id", "party_secretary", "assignment", {"member_id": ""}, "member_id"),
    ("assignment to a member by number", "party_secretary", "assignment", {"member_id": 7},
     "member_id: Input should be a valid string"),
    ("helper without an id", "member", "helpers", {}, "helper_id: Field required"),
    ("helper with an unknown field", "member", "helpers", {"helper_id": "v-1", "role": "lead"},
     "role: Extra inputs are not permitted"),
    ("note without a note", "member", "notes", {}, "note: Field required"),
    ("empty note", "member", "notes", {"note": ""}, "note"),
    ("note too long", "member", "notes", {"note": TOO_LONG}, "note: String should have at most 2000"),
    ("note with a control character", "member", "notes", {"note": "已处理\x00"}, "note: Value error, plain text"),
    ("part without a part", "owners_committee", "parts", {"result": "已通知"}, "part: Field required"),
    ("part too long", "owners_committee", "parts", {"part": TOO_LONG}, "part"),
    ("part's result too long", "owners_committee", "parts", {"part": "通知", "result": TOO_LONG}, "result"),
    ("part's result with a control character", "owners_committee", "parts", {"part": "通知", "result": "\x1b[31m"},
     "result: Value error, plain text"),
    ("resolution without a result", "member", "resolution", {}, "result: Field required"),
    ("resolution with an empty result", "member", "resolution", {"result": ""}, "result"),
    ("resolution with a result too long", "member", "resolution", {"result": TOO_LONG}, "result"),
    ("escalation without a reason", "member", "escalation", {}, "reason: Field required"),
    ("escalation with a reason too long", "member", "escalation", {"reason": TOO_LONG}, "reason"),
    ("escalation with a control character", "member", "escalation", {"reason": "\x07"}, "reason"),
    ("whistle to no departments", "township_admin", "whistle", {"department_ids": []}, "department_ids"),
    ("whistle to too many departments", "township_admin", "whistle", {"department_ids": DEPARTMENTS},
     "department_ids: List should have at most 20"),
    ("whistle to a department twice", "township_admin", "whistle",
     {"department_ids": ["department-0001", "department-0001"]}, "names a department twice"),
    ("whistle to an empty department id", "township_admin", "whistle", {"department_ids": [""]},
     "department_ids.0"),
    ("whistle with a note too long", "township_admin", "whistle",
     {"department_ids": ["department-0001"], "note": TOO_LONG}, "note"),
    ("report of an unknown kind", "department", "department-reports", {**REPORT, "kind": "arrived"}, "kind"),
    ("report as the proto's enum", "department", "department-reports",
     {**REPORT, "kind": "DEPARTMENT_REPORT_KIND_REPORT_IN"}, "kind"),
    ("report as a number", "department", "department-reports", {**REPORT, "kind": 1}, "kind"),
    ("report without a kind", "department", "department-reports", {"callback_id": "cb-1"}, "kind: Field required"),
    ("report without a callback id", "integration", "department-reports", {"kind": "result"},
     "callback_id: Field required"),
    ("report with an empty callback id", "integration", "department-reports", {**REPORT, "callback_id": ""},
     "callback_id"),
    ("report with a callback id too long", "integration", "department-reports",
     {**REPORT, "callback_id": "c" * (contract.CALLBACK_ID_MAX_CHARS + 1)}, "callback_id"),
    ("report with a callback id holding a line break", "integration", "department-reports",
     {**REPORT, "callback_id": "cb\n1"}, "callback_id: Value error, printable characters only"),
    ("report for an empty department id", "integration", "department-reports", {**REPORT, "department_id": ""},
     "department_id"),
    ("report with a note too long", "department", "department-reports", {**REPORT, "note": TOO_LONG}, "note"),
]


@pytest.mark.parametrize("case, who, step, body, names", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_a_body_breaking_its_schema_is_a_422_naming_the_field_and_asks_no_service(client, fake, case, who, step,
                                                                                   body, names):
    explained = reasons(problem_of(client.post(f"{TASK}/{step}", json=body, headers=bearer(who)), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []


def test_the_longest_note_a_task_keeps_is_not_refused(client, fake):
    fake.dispatch.NoteProgress.returns(opened())
    note = "记" * contract.NOTE_MAX_CHARS
    assert client.post(f"{TASK}/notes", json={"note": note}, headers=bearer("member")).status_code == 200
    assert fake.calls[0].request.note == note


FIGURES = f"/api/v1/dispatch-figures?place_id={COUNTY}"

BAD_QUERIES = [
    # (case, path, what the problem names)
    ("tasks of an unknown list", "/api/v1/tasks?list=mine_and_pool", "list"),
    ("tasks of the proto's list", "/api/v1/tasks?list=TASK_LIST_POOL", "list"),
    ("tasks in an unknown state", "/api/v1/tasks?state=closed", "state.0"),
    ("tasks in a known and an unknown state, by comma", "/api/v1/tasks?state=open,done", "state.1"),
    ("tasks in a known and an unknown state, repeated", "/api/v1/tasks?state=open&state=OPEN", "state.1"),
    ("tasks of an unknown tier", "/api/v1/tasks?tier=county", "tier"),
    ("tasks of an empty place", "/api/v1/tasks?place_id=", "place_id"),
    ("tasks in a page of none", "/api/v1/tasks?page_size=0", "page_size"),
    ("tasks in a page too large", "/api/v1/tasks?page_size=501", "page_size"),
    ("tasks in a page of words", "/api/v1/tasks?page_size=ten", "page_size must be an integer"),
    ("tasks with an unknown parameter", "/api/v1/tasks?status=open", "status: Extra inputs are not permitted"),
    ("ledger from a day not a date", "/api/v1/ledger?from=11月1日", "from"),
    ("ledger to a day not in the calendar", "/api/v1/ledger?to=2026-02-30", "to: Value error, not a day"),
    ("ledger from after to", "/api/v1/ledger?from=2026-12-01&to=2026-11-01", "from is after to"),
    ("member's ledger in a page too large", "/api/v1/members/member-0001/ledger?page_size=501", "page_size"),
    ("deliveries in an unknown state", "/api/v1/platform/deliveries?state=failed", "state"),
    ("deliveries of an empty task", "/api/v1/platform/deliveries?task_id=", "task_id"),
    ("figures without a place", "/api/v1/dispatch-figures?from=2026-11-01&to=2026-11-30",
     "place_id: Field required"),
    ("figures without a first day", f"{FIGURES}&to=2026-11-30", "from: Field required"),
    ("figures without a last day", f"{FIGURES}&from=2026-11-01", "to: Field required"),
    ("figures of a month", f"{FIGURES}&from=2026-11&to=2026-12", "from"),
    ("figures backwards", f"{FIGURES}&from=2026-11-30&to=2026-11-01", "from is after to"),
    ("figures in other digits", f"{FIGURES}&from=%D9%A2%D9%A0%D9%A2%D9%A6-11-01&to=2026-11-30", "from"),
]


@pytest.mark.parametrize("case, path, names", BAD_QUERIES, ids=[c[0] for c in BAD_QUERIES])
def test_a_query_breaking_its_schema_is_a_422_naming_the_parameter_and_asks_no_service(client, fake, case, path,
                                                                                        names):
    # A township administrator may call every one of these endpoints.
    explained = reasons(problem_of(client.get(path, headers=bearer("township_admin")), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []

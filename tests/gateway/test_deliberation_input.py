"""Deliberation's bodies and query strings the gateway refuses by itself: a 422 problem naming the
field, and no service asked. Only shape and bounds (services/deliberation/contract.py's); the
cycle's rules, such as who must attend the joint meeting, are the service's to refuse."""
from __future__ import annotations

import pytest

from services.deliberation import contract
from tests.gateway.answers import problem_of, reasons
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY, N1
from tests.gateway.canned_topics import T1

TOPIC = f"/api/v1/topics/{T1}"
TOPICS = f"/api/v1/neighbourhoods/{N1}/topics"
DRAFT = {"title": "楼道堆物清理", "concern_ids": ["concern-0001"]}
PANEL = [f"member-000{i}" for i in range(contract.PANEL_MIN)]
ACTION = {"description": "清理楼道", "deadline": "2026-11-27"}
DECISION = {"attendees": [{"body": "party_org"}], "resolution": "清理楼道", "actions": [ACTION]}


BAD_BODIES = [
    # (case, who, method, path, body, what the problem names)
    ("draft without a title", "party_secretary", "POST", TOPICS, {"concern_ids": ["c"]}, "title: Field required"),
    ("draft with an empty title", "party_secretary", "POST", TOPICS, {**DRAFT, "title": ""}, "title"),
    ("draft with a title too long", "party_secretary", "POST", TOPICS,
     {**DRAFT, "title": "题" * (contract.TITLE_MAX_CHARS + 1)}, "title: String should have at most 100"),
    ("draft with a summary too long", "party_secretary", "POST", TOPICS,
     {**DRAFT, "summary": "x" * (contract.SUMMARY_MAX_CHARS + 1)}, "summary"),
    ("draft of no concerns", "party_secretary", "POST", TOPICS, {**DRAFT, "concern_ids": []}, "concern_ids"),
    ("draft of too many concerns", "party_secretary", "POST", TOPICS,
     {**DRAFT, "concern_ids": [f"c-{i}" for i in range(contract.TOPIC_CONCERNS_MAX + 1)]}, "concern_ids"),
    ("draft naming an empty concern id", "party_secretary", "POST", TOPICS, {**DRAFT, "concern_ids": [""]},
     "concern_ids.0"),
    ("draft naming a concern by number", "party_secretary", "POST", TOPICS, {**DRAFT, "concern_ids": [1]},
     "concern_ids.0: Input should be a valid string"),
    ("draft with a meeting day not a date", "party_secretary", "POST", TOPICS, {**DRAFT, "meeting_on": "11月20日"},
     "meeting_on"),
    ("draft with a meeting day not in the calendar", "party_secretary", "POST", TOPICS,
     {**DRAFT, "meeting_on": "2026-02-30"}, "meeting_on: Value error, not a day of the calendar"),
    ("draft with an unknown field", "party_secretary", "POST", TOPICS, {**DRAFT, "state": "published"},
     "state: Extra inputs are not permitted"),
    ("vote of an unknown choice", "resident", "PUT", f"{TOPIC}/vote", {"choice": "maybe"}, "choice"),
    ("vote as the proto's enum", "resident", "PUT", f"{TOPIC}/vote", {"choice": "VOTE_CHOICE_YES"}, "choice"),
    ("vote as a number", "resident", "PUT", f"{TOPIC}/vote", {"choice": 1}, "choice"),
    ("vote without a choice", "resident", "PUT", f"{TOPIC}/vote", {}, "choice: Field required"),
    ("release to an unknown fate", "party_secretary", "POST", f"{TOPIC}/release", {"fate": "archive"}, "fate"),
    ("release with a reason too long", "party_secretary", "POST", f"{TOPIC}/release",
     {"fate": "closed", "reason": "x" * (contract.REASON_MAX_CHARS + 1)}, "reason"),
    ("panel too small", "party_secretary", "PUT", f"{TOPIC}/panel", {"member_ids": PANEL[:-1]}, "member_ids"),
    ("panel too large", "party_secretary", "PUT", f"{TOPIC}/panel",
     {"member_ids": [f"m-{i}" for i in range(contract.PANEL_MAX + 1)]}, "member_ids"),
    ("empty opinion", "member", "POST", f"{TOPIC}/opinions", {"text": ""}, "text"),
    ("opinion too long", "member", "POST", f"{TOPIC}/opinions", {"text": "x" * (contract.OPINION_MAX_CHARS + 1)},
     "text"),
    ("opinion for an empty member id", "party_secretary", "POST", f"{TOPIC}/opinions",
     {"text": "同意", "member_id": ""}, "member_id"),
    ("empty consensus", "party_secretary", "POST", f"{TOPIC}/consensus", {"consensus": ""}, "consensus"),
    ("consensus too long", "party_secretary", "POST", f"{TOPIC}/consensus",
     {"consensus": "x" * (contract.CONSENSUS_MAX_CHARS + 1)}, "consensus"),
    ("decision without a resolution", "party_secretary", "POST", f"{TOPIC}/decision",
     {k: v for k, v in DECISION.items() if k != "resolution"}, "resolution: Field required"),
    ("decision without actions", "party_secretary", "POST", f"{TOPIC}/decision", {**DECISION, "actions": []},
     "actions"),
    ("decision of too many actions", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "actions": [ACTION] * (contract.ACTIONS_MAX + 1)}, "actions"),
    ("attendee of an unknown body", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "attendees": [{"body": "street_office"}]}, "attendees.0.body"),
    ("too many attendees", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "attendees": [{"body": "resident"}] * (contract.ATTENDEES_MAX + 1)}, "attendees"),
    ("attendee's name too long", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "attendees": [{"body": "other", "name": "名" * (contract.NAME_MAX_CHARS + 1)}]},
     "attendees.0.name"),
    ("minutes too long", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "minutes": "x" * (contract.MINUTES_MAX_CHARS + 1)}, "minutes"),
    ("action of an unknown tier", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "actions": [{**ACTION, "tier": "county"}]}, "actions.0.tier"),
    ("action without a deadline", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "actions": [{"description": "清理楼道"}]}, "actions.0.deadline: Field required"),
    ("action due on no day", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "actions": [{**ACTION, "deadline": "2026-13-01"}]}, "actions.0.deadline"),
    ("action described too long", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "actions": [{**ACTION, "description": "x" * (contract.ACTION_MAX_CHARS + 1)}]},
     "actions.0.description"),
    ("action with an unknown field", "party_secretary", "POST", f"{TOPIC}/decision",
     {**DECISION, "actions": [{**ACTION, "priority": "high"}]}, "actions.0.priority"),
]


@pytest.mark.parametrize("case, who, method, path, body, names", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_a_body_breaking_its_schema_is_a_422_naming_the_field_and_asks_no_service(client, fake, case, who, method,
                                                                                   path, body, names):
    explained = reasons(problem_of(client.open(path, method=method, json=body, headers=bearer(who)), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []


BAD_QUERIES = [
    # (case, path, what the problem names)
    ("topics in an unknown state", f"{TOPICS}?state=open", "state.0"),
    ("topics in a known and an unknown state", f"{TOPICS}?state=published&state=PUBLISHED", "state.1"),
    ("topics in a page of none", f"{TOPICS}?page_size=0", "page_size"),
    ("topics in a page too large", f"{TOPICS}?page_size=501", "page_size"),
    ("topics with an unknown parameter", f"{TOPICS}?status=published", "status: Extra inputs are not permitted"),
    ("agenda without a month", f"/api/v1/neighbourhoods/{N1}/agenda", "month: Field required"),
    ("agenda of a day", f"/api/v1/neighbourhoods/{N1}/agenda?month=2026-11-01", "month"),
    ("agenda of month 13", f"/api/v1/neighbourhoods/{N1}/agenda?month=2026-13", "month"),
    ("panel proposal too small", f"{TOPIC}/panel-proposal?size={contract.PANEL_MIN - 1}", "size"),
    ("panel proposal too large", f"{TOPIC}/panel-proposal?size={contract.PANEL_MAX + 1}", "size"),
    ("panel proposal of words", f"{TOPIC}/panel-proposal?size=five", "size must be an integer"),
    ("figures without a place", "/api/v1/deliberation-figures?period=2026", "place_id: Field required"),
    ("figures without a period", f"/api/v1/deliberation-figures?place_id={COUNTY}", "period: Field required"),
    ("figures of a fifth quarter", f"/api/v1/deliberation-figures?place_id={COUNTY}&period=2026-Q5", "period"),
    ("figures of a day", f"/api/v1/deliberation-figures?place_id={COUNTY}&period=2026-11-01", "period"),
    ("figures in other digits", f"/api/v1/deliberation-figures?place_id={COUNTY}&period=%D9%A2%D9%A0%D9%A2%D9%A6",
     "period"),
]


@pytest.mark.parametrize("case, path, names", BAD_QUERIES, ids=[c[0] for c in BAD_QUERIES])
def test_a_query_breaking_its_schema_is_a_422_naming_the_parameter_and_asks_no_service(client, fake, case, path,
                                                                                        names):
    # The party secretary may call every one of these endpoints.
    explained = reasons(problem_of(client.get(path, headers=bearer("party_secretary")), 422))
    assert any(names in reason for reason in explained), explained
    assert fake.calls == []

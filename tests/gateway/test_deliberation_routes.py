"""Deliberation's routes as the gateway serves them: each sends its RPC what the caller asked, in the
proto's enums, and answers with the service's reply as JSON, its enums as words and what proto3
leaves empty as null. (The rules of the cycle are the service's: tests/unit, tests/integration.)"""
from __future__ import annotations

import grpc
import pytest

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.deliberation.v1 import events_pb2
from tests.gateway.answers import problem_of
from tests.gateway.callers import bearer
from tests.gateway.canned import COUNTY, N1
from tests.gateway.canned_topics import CLOSES_AT, DECIDED_AT, PANEL, T1, at, decided, draft, rejected, tally

SECRETARY = bearer("party_secretary")
RESIDENT = bearer("resident")
TOPIC = f"/api/v1/topics/{T1}"

DRAFT_JSON = {
    "topic_id": T1, "neighbourhood_id": N1, "title": "楼道堆物清理", "summary": "",
    "concern_ids": ["concern-0001", "concern-0002"], "state": "drafted", "meeting_on": None,
    "drafted_at": "2026-11-03T09:00:00Z", "published_at": None, "tally": None, "rejection_reason": None,
    "concerns_fate": None, "panel": [], "opinions": [], "consensus": None, "decision": None,
    "history": [{"step": "drafted", "at": "2026-11-03T09:00:00Z", "note": "from 2 concern(s)", "actor": "王书记"}],
    "your_vote": None,
}
TALLY_JSON = {"topic_id": T1, "yes_votes": 61, "no_votes": 12, "households": 120, "quorum": "0.5",
              "threshold": "0.6", "quorum_met": True, "threshold_met": True, "closed": True,
              "closes_at": "2026-11-11T09:00:00Z", "closed_at": "2026-11-11T09:00:00Z", "closed_early": False}
PANEL_JSON = [{"member_id": p.member_id, "name": p.name, "member_kind": p.member_kind,
               "recent_panels": p.recent_panels} for p in PANEL]


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/json"
    return response.get_json()


# -- topics ---------------------------------------------------------------------------------------

def test_drafting_sends_the_draft_and_answers_201_with_where_the_topic_is(client, fake):
    fake.deliberation.DraftTopic.returns(draft())
    response = client.post(f"/api/v1/neighbourhoods/{N1}/topics", headers=SECRETARY, json={
        "title": "楼道堆物清理", "summary": "3号楼", "concern_ids": ["concern-0001", "concern-0002"],
        "meeting_on": "2026-11-20"})
    assert _ok(response, 201) == DRAFT_JSON
    assert response.headers["Location"] == TOPIC
    (call,) = fake.calls
    assert call.request == pb.DraftTopicRequest(neighbourhood_id=N1, title="楼道堆物清理", summary="3号楼",
                                                concern_ids=["concern-0001", "concern-0002"], meeting_on="2026-11-20")


def test_a_draft_without_summary_or_meeting_day_sends_them_empty(client, fake):
    fake.deliberation.DraftTopic.returns(draft())
    _ok(client.post(f"/api/v1/neighbourhoods/{N1}/topics", headers=SECRETARY,
                    json={"title": "楼道堆物清理", "concern_ids": ["concern-0001"]}), 201)
    (call,) = fake.calls
    assert (call.request.summary, call.request.meeting_on) == ("", "")


def test_a_decided_topic_shows_every_step_with_its_enums_as_words(client, fake):
    fake.deliberation.GetTopic.returns(decided())
    shown = _ok(client.get(TOPIC, headers=RESIDENT))
    assert shown == {
        **DRAFT_JSON, "summary": "3号楼楼道堆满杂物，影响消防通道", "state": "decided", "meeting_on": "2026-11-20",
        "published_at": "2026-11-04T09:00:00Z", "tally": TALLY_JSON, "panel": PANEL_JSON,
        "opinions": [{"opinion_id": "opinion-0001", "member_id": "member-0001", "member_name": "党员1",
                      "text": "先通知再清理", "given_at": "2026-11-20T19:30:00Z", "recorded_by": "王书记"}],
        "consensus": "一周内清理，物业设置临时存放点",
        "decision": {
            "decision_id": "decision-0001", "minutes": None, "resolution": "清理楼道，设置临时存放点",
            "decided_at": "2026-11-20T19:30:00Z",
            "attendees": [{"body": "party_org", "name": "王书记"}, {"body": "owners_committee", "name": None},
                          {"body": "property_company", "name": "李经理"}],
            "actions": [{"action_id": "action-0001", "description": "清理3号楼楼道", "tier": "joint",
                         "owner_id": "property-0001", "owner_name": None, "deadline": "2026-11-27",
                         "resolved_at": "2026-11-20T19:30:00Z", "on_time": True, "rework_rounds": 1,
                         "rating": "satisfied"},
                        {"action_id": "action-0002", "description": "张贴通知", "tier": None, "owner_id": None,
                         "owner_name": "张楼长", "deadline": "2026-11-22", "resolved_at": None, "on_time": None,
                         "rework_rounds": 0, "rating": None}],
            "progress": {"actions": 2, "resolved": 1,
                         "ratings": {"satisfied": 1, "basically_satisfied": 0, "unsatisfied": 0}}},
        "history": [*DRAFT_JSON["history"], {"step": "vote_closed", "at": "2026-11-11T09:00:00Z",
                                             "note": "accepted: 61 yes, 12 no of 120", "actor": None}],
        "your_vote": "yes",
    }
    (call,) = fake.calls
    assert call.request == pb.GetTopicRequest(topic_id=T1)


@pytest.mark.parametrize("reason, fate, words", [
    (events_pb2.REJECTION_REASON_QUORUM_MISSED, events_pb2.CONCERNS_FATE_UNSPECIFIED, ("quorum_missed", None)),
    (events_pb2.REJECTION_REASON_THRESHOLD_MISSED, events_pb2.CONCERNS_FATE_POOL, ("threshold_missed", "pool")),
    (events_pb2.REJECTION_REASON_QUORUM_MISSED, events_pb2.CONCERNS_FATE_CLOSED, ("quorum_missed", "closed")),
], ids=["not yet released", "back to the pool", "closed"])
def test_a_rejected_topic_says_why_and_what_became_of_its_concerns(client, fake, reason, fate, words):
    fake.deliberation.GetTopic.returns(rejected(reason, fate))
    shown = _ok(client.get(TOPIC, headers=SECRETARY))
    assert (shown["state"], shown["rejection_reason"], shown["concerns_fate"]) == ("rejected", *words)


def test_topics_are_listed_by_every_state_asked_for_a_page_at_a_time(client, fake):
    fake.deliberation.ListTopics.returns(pb.ListTopicsResponse(topics=[draft(), decided()], next_page_token="p2"))
    listed = _ok(client.get(f"/api/v1/neighbourhoods/{N1}/topics?state=drafted&state=consensus_reached"
                            "&page_size=2&page_token=p1", headers=SECRETARY))
    assert [(t["topic_id"], t["state"]) for t in listed["topics"]] == [(T1, "drafted"), (T1, "decided")]
    assert listed["next_page_token"] == "p2"
    (call,) = fake.calls
    assert call.request == pb.ListTopicsRequest(
        neighbourhood_id=N1, states=[pb.TOPIC_STATE_DRAFTED, pb.TOPIC_STATE_CONSENSUS_REACHED], page_size=2,
        page_token="p1")


def test_topics_listed_without_a_state_are_all_of_them_from_the_first_page(client, fake):
    fake.deliberation.ListTopics.returns(pb.ListTopicsResponse())
    assert _ok(client.get(f"/api/v1/neighbourhoods/{N1}/topics", headers=RESIDENT)) == {
        "topics": [], "next_page_token": None}
    (call,) = fake.calls
    assert call.request == pb.ListTopicsRequest(neighbourhood_id=N1, page_size=100)


def test_the_agenda_is_the_months_topics(client, fake):
    fake.deliberation.GetAgenda.returns(pb.Agenda(neighbourhood_id=N1, month="2026-11", topics=[decided()]))
    agenda = _ok(client.get(f"/api/v1/neighbourhoods/{N1}/agenda?month=2026-11", headers=RESIDENT))
    assert (agenda["neighbourhood_id"], agenda["month"]) == (N1, "2026-11")
    assert [(t["topic_id"], t["meeting_on"]) for t in agenda["topics"]] == [(T1, "2026-11-20")]
    (call,) = fake.calls
    assert call.request == pb.GetAgendaRequest(neighbourhood_id=N1, month="2026-11")


STEPS = [
    # (path after the topic, the RPC, its request)
    ("withdraw", "WithdrawTopic", pb.WithdrawTopicRequest),
    ("publish", "PublishTopic", pb.PublishTopicRequest),
]


@pytest.mark.parametrize("step, rpc, request_type", STEPS, ids=[s[0] for s in STEPS])
def test_a_step_without_a_body_names_the_topic_and_answers_with_it(client, fake, step, rpc, request_type):
    getattr(fake.deliberation, rpc).returns(draft())
    assert _ok(client.post(f"{TOPIC}/{step}", headers=SECRETARY)) == DRAFT_JSON
    (call,) = fake.calls
    assert (call.method, call.request) == (rpc, request_type(topic_id=T1))


# -- the residents' vote --------------------------------------------------------------------------

@pytest.mark.parametrize("choice, value", [("yes", pb.VOTE_CHOICE_YES), ("no", pb.VOTE_CHOICE_NO)])
def test_a_households_vote_goes_as_the_protos_choice_and_comes_back_as_its_word(client, fake, choice, value):
    fake.deliberation.CastVote.returns(lambda r: pb.Vote(topic_id=r.topic_id, choice=r.choice,
                                                         cast_at=at(DECIDED_AT), closes_at=at(CLOSES_AT)))
    vote = _ok(client.put(f"{TOPIC}/vote", headers=RESIDENT, json={"choice": choice}))
    assert vote == {"topic_id": T1, "choice": choice, "cast_at": "2026-11-20T19:30:00Z",
                    "closes_at": "2026-11-11T09:00:00Z"}
    (call,) = fake.calls
    assert call.request == pb.CastVoteRequest(topic_id=T1, choice=value)


def test_the_tally_keeps_its_shares_as_decimal_text(client, fake):
    fake.deliberation.GetTally.returns(tally(closed=False))
    assert _ok(client.get(f"{TOPIC}/tally", headers=RESIDENT)) == {**TALLY_JSON, "closed": False}
    (call,) = fake.calls
    assert call.request == pb.GetTallyRequest(topic_id=T1)


def test_closing_the_vote_early_answers_with_the_topic_accepted_or_rejected(client, fake):
    fake.deliberation.CloseVote.returns(rejected())
    closed = _ok(client.post(f"{TOPIC}/close-vote", headers=SECRETARY))
    assert (closed["state"], closed["rejection_reason"], closed["tally"]["closed"]) == ("rejected", "quorum_missed", True)
    (call,) = fake.calls
    assert call.request == pb.CloseVoteRequest(topic_id=T1)


@pytest.mark.parametrize("body, fate, reason", [
    ({"fate": "pool"}, events_pb2.CONCERNS_FATE_POOL, ""),
    ({"fate": "closed", "reason": "不属于小区公共事务"}, events_pb2.CONCERNS_FATE_CLOSED, "不属于小区公共事务"),
], ids=["pool", "closed"])
def test_releasing_concerns_sends_their_fate(client, fake, body, fate, reason):
    fake.deliberation.ReleaseConcerns.returns(rejected(fate=fate))
    assert _ok(client.post(f"{TOPIC}/release", headers=SECRETARY, json=body))["concerns_fate"] == body["fate"]
    (call,) = fake.calls
    assert call.request == pb.ReleaseConcernsRequest(topic_id=T1, fate=fate, reason=reason)


# -- the panel ------------------------------------------------------------------------------------

@pytest.mark.parametrize("query, size", [("", 5), ("?size=7", 7)], ids=["default size", "size 7"])
def test_a_panel_proposal_asks_for_its_size(client, fake, query, size):
    fake.deliberation.GetPanelProposal.returns(pb.PanelProposal(topic_id=T1, panellists=PANEL, candidates=PANEL[:2]))
    proposal = _ok(client.get(f"{TOPIC}/panel-proposal{query}", headers=SECRETARY))
    assert proposal == {"topic_id": T1, "panellists": PANEL_JSON, "candidates": PANEL_JSON[:2]}
    (call,) = fake.calls
    assert call.request == pb.GetPanelProposalRequest(topic_id=T1, size=size)


def test_confirming_the_panel_sends_its_members(client, fake):
    fake.deliberation.ConfirmPanel.returns(decided())
    members = [p.member_id for p in PANEL]
    assert _ok(client.put(f"{TOPIC}/panel", headers=SECRETARY, json={"member_ids": members}))["panel"] == PANEL_JSON
    (call,) = fake.calls
    assert call.request == pb.ConfirmPanelRequest(topic_id=T1, member_ids=members)


@pytest.mark.parametrize("who, body, member_id", [
    ("member", {"text": "先通知再清理"}, ""),
    ("party_secretary", {"text": "先通知再清理", "member_id": "member-0002"}, "member-0002"),
], ids=["a panellist's own", "recorded for a panellist"])
def test_an_opinion_is_given_for_its_panellist(client, fake, who, body, member_id):
    fake.deliberation.AddOpinion.returns(lambda r: pb.Opinion(
        opinion_id="opinion-0001", member_id=r.member_id or "member-0001", member_name="党员", text=r.text,
        given_at=at(DECIDED_AT), recorded_by="王书记" if r.member_id else ""))
    given = _ok(client.post(f"{TOPIC}/opinions", headers=bearer(who), json=body), 201)
    assert given == {"opinion_id": "opinion-0001", "member_id": member_id or "member-0001", "member_name": "党员",
                     "text": "先通知再清理", "given_at": "2026-11-20T19:30:00Z",
                     "recorded_by": "王书记" if member_id else None}
    (call,) = fake.calls
    assert call.request == pb.AddOpinionRequest(topic_id=T1, text="先通知再清理", member_id=member_id)


def test_the_consensus_is_recorded(client, fake):
    fake.deliberation.RecordConsensus.returns(decided())
    assert _ok(client.post(f"{TOPIC}/consensus", headers=SECRETARY, json={"consensus": "一周内清理"}))["topic_id"] == T1
    (call,) = fake.calls
    assert call.request == pb.RecordConsensusRequest(topic_id=T1, consensus="一周内清理")


def test_the_joint_meetings_decision_goes_with_its_plan_and_answers_201(client, fake):
    fake.deliberation.RecordDecision.returns(decided())
    response = client.post(f"{TOPIC}/decision", headers=SECRETARY, json={
        "attendees": [{"body": "party_org", "name": "王书记"}, {"body": "owners_committee"},
                      {"body": "property_company"}],
        "minutes": "会议记录", "resolution": "清理楼道",
        "actions": [{"description": "清理3号楼楼道", "tier": "escalated", "owner_id": "township-0001",
                     "deadline": "2026-11-27"},
                    {"description": "张贴通知", "owner_name": "张楼长", "deadline": "2026-11-22"}]})
    assert _ok(response, 201)["state"] == "decided"
    (call,) = fake.calls
    assert call.request == pb.RecordDecisionRequest(
        topic_id=T1, minutes="会议记录", resolution="清理楼道",
        attendees=[pb.Attendee(body="party_org", name="王书记"), pb.Attendee(body="owners_committee"),
                   pb.Attendee(body="property_company")],
        actions=[pb.ActionInput(description="清理3号楼楼道", tier=events_pb2.HANDLING_TIER_ESCALATED,
                                owner_id="township-0001", deadline="2026-11-27"),
                 pb.ActionInput(description="张贴通知", tier=events_pb2.HANDLING_TIER_UNSPECIFIED,
                                owner_name="张楼长", deadline="2026-11-22")])


# -- figures --------------------------------------------------------------------------------------

def _figures(**fields) -> pb.Figures:
    return pb.Figures(**{"place_id": COUNTY, "period": "2026", "drafted": 9, "published": 8, "accepted": 5,
                         "rejected": 3, "votes": 400, "households": 640, "turnout": "0.6250", "panels": 4,
                         "opinions": 31, "decisions": 2, "proposals_adopted": 5, **fields})


def test_figures_count_rejections_by_reason_every_reason_named(client, fake):
    fake.deliberation.GetFigures.returns(_figures(rejected_by_reason=[
        pb.RejectedCount(reason=events_pb2.REJECTION_REASON_THRESHOLD_MISSED, topics=3)]))
    figures = _ok(client.get(f"/api/v1/deliberation-figures?place_id={COUNTY}&period=2026",
                             headers=bearer("county_admin", (COUNTY,))))
    assert figures == {"place_id": COUNTY, "period": "2026", "drafted": 9, "published": 8, "accepted": 5,
                       "rejected": 3, "rejected_by_reason": {"quorum_missed": 0, "threshold_missed": 3},
                       "votes": 400, "households": 640, "turnout": "0.6250", "panels": 4, "opinions": 31,
                       "decisions": 2, "proposals_adopted": 5}
    (call,) = fake.calls
    assert call.request == pb.GetFiguresRequest(place_id=COUNTY, period="2026")


def test_figures_of_a_month_without_a_closed_vote_have_no_turnout(client, fake):
    fake.deliberation.GetFigures.returns(_figures(period="2026-11", votes=0, households=0, turnout=""))
    figures = _ok(client.get(f"/api/v1/deliberation-figures?place_id={N1}&period=2026-11", headers=SECRETARY))
    assert (figures["turnout"], figures["rejected_by_reason"]) == (None, {"quorum_missed": 0, "threshold_missed": 0})


def test_figures_of_a_quarter_are_asked_for_the_quarter(client, fake):
    fake.deliberation.GetFigures.returns(_figures(period="2026-Q4"))
    figures = _ok(client.get(f"/api/v1/deliberation-figures?place_id={N1}&period=2026-Q4", headers=SECRETARY))
    assert figures["period"] == "2026-Q4"
    (call,) = fake.calls
    assert call.request == pb.GetFiguresRequest(place_id=N1, period="2026-Q4")


# -- refusals -------------------------------------------------------------------------------------

WRITES = [
    # (the RPC, method, path, body)
    ("DraftTopic", "POST", f"/api/v1/neighbourhoods/{N1}/topics", {"title": "t", "concern_ids": ["concern-0001"]}),
    ("WithdrawTopic", "POST", f"{TOPIC}/withdraw", None),
    ("PublishTopic", "POST", f"{TOPIC}/publish", None),
    ("CloseVote", "POST", f"{TOPIC}/close-vote", None),
    ("ReleaseConcerns", "POST", f"{TOPIC}/release", {"fate": "pool"}),
    ("ConfirmPanel", "PUT", f"{TOPIC}/panel", {"member_ids": [f"member-000{i}" for i in range(5)]}),
    ("AddOpinion", "POST", f"{TOPIC}/opinions", {"text": "同意"}),
    ("RecordConsensus", "POST", f"{TOPIC}/consensus", {"consensus": "同意"}),
    ("RecordDecision", "POST", f"{TOPIC}/decision", {"attendees": [], "resolution": "r", "actions": [
        {"description": "d", "deadline": "2026-11-27"}]}),
]


@pytest.mark.parametrize("rpc, method, path, body", WRITES, ids=[w[0] for w in WRITES])
def test_a_step_out_of_order_is_a_409_with_the_services_reason(client, fake, rpc, method, path, body):
    reason = f"topic {T1} is decided: only a draft can be published (the service's own words)"
    getattr(fake.deliberation, rpc).fails(grpc.StatusCode.FAILED_PRECONDITION, reason)
    assert problem_of(client.open(path, method=method, json=body, headers=SECRETARY), 409)["detail"] == reason
    assert [c.method for c in fake.calls] == [rpc]


def test_a_vote_after_the_window_is_a_409_with_the_services_reason(client, fake):
    reason = f"topic {T1}'s vote closed at 2026-11-11T09:00:00+00:00"
    fake.deliberation.CastVote.fails(grpc.StatusCode.FAILED_PRECONDITION, reason)
    assert problem_of(client.put(f"{TOPIC}/vote", json={"choice": "yes"}, headers=RESIDENT), 409)["detail"] == reason


def test_an_opinion_from_someone_off_the_panel_is_a_403_with_the_services_reason(client, fake):
    reason = f"member-0009 is not on topic {T1}'s panel"
    fake.deliberation.AddOpinion.fails(grpc.StatusCode.PERMISSION_DENIED, reason)
    response = client.post(f"{TOPIC}/opinions", json={"text": "同意"}, headers=bearer("member"))
    assert problem_of(response, 403)["detail"] == reason

"""A topic's drafting view: the topic asked of deliberation, then each of its concerns of intake, all
as the caller, and shown as GET /api/v1/concerns/{id} shows them. Residents, who never see concern
ids, are refused before anything is asked."""
from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from lianyi.deliberation.v1 import deliberation_service_pb2 as pb
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from servicekit import auth
from tests.gateway.answers import problem_of
from tests.gateway.callers import SIGNING_KEY, bearer
from tests.gateway.canned import concern
from tests.gateway.canned_topics import CONCERN_IDS, T1, draft
from tests.gateway.fake_calls import FakeRpcError

VIEW = f"/api/v1/topics/{T1}/concerns"
SECRETARY = bearer("party_secretary")


def _caller(call) -> str:
    return auth.verify(call.metadata[auth.PRINCIPAL_HEADER], SIGNING_KEY, audience=auth.INTERNAL_AUDIENCE,
                       now=datetime.now(UTC)).subject


def _intake_knows_every_concern(fake, refusing: str = "", code: grpc.StatusCode = grpc.StatusCode.OK) -> None:
    def get_concern(request):
        if request.concern_id == refusing:
            raise FakeRpcError(code, f"concern {refusing} (intake's own words)")
        return concern(request.concern_id)

    fake.intake.GetConcern.returns(get_concern)


def test_the_view_shows_each_concern_as_intake_shows_it_to_the_caller(client, fake):
    fake.deliberation.GetTopic.returns(draft())
    _intake_knows_every_concern(fake)
    response = client.get(VIEW, headers=SECRETARY)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [(c.method, c.request) for c in fake.calls] == [
        ("GetTopic", pb.GetTopicRequest(topic_id=T1)),
        *(("GetConcern", intake_pb.GetConcernRequest(concern_id=concern_id)) for concern_id in CONCERN_IDS)]
    assert {_caller(c) for c in fake.calls} == {"account-party_secretary"}
    # Each concern exactly as the concern's own endpoint answers it.
    one_by_one = [client.get(f"/api/v1/concerns/{concern_id}", headers=SECRETARY).get_json()
                  for concern_id in CONCERN_IDS]
    assert response.get_json() == {"topic_id": T1, "concerns": one_by_one}


def test_the_concerns_are_all_asked_before_any_answer_is_read(client, fake, monkeypatch):
    fake.deliberation.GetTopic.returns(draft())
    _intake_knows_every_concern(fake)
    seen: list[tuple[str, str]] = []
    ask = fake.intake.GetConcern.future

    def future(request, *args, **kwargs):
        seen.append(("asked", request.concern_id))
        call = ask(request, *args, **kwargs)
        answer = call.result
        monkeypatch.setattr(call, "result", lambda timeout=None: seen.append(("read", request.concern_id)) or answer())
        return call

    monkeypatch.setattr(fake.intake.GetConcern, "future", future)
    assert client.get(VIEW, headers=SECRETARY).status_code == 200
    assert seen == [*(("asked", c) for c in CONCERN_IDS), *(("read", c) for c in CONCERN_IDS)]


def test_a_topic_without_concerns_asks_intake_nothing(client, fake):
    fake.deliberation.GetTopic.returns(pb.Topic(topic_id=T1))  # what a resident would get
    assert client.get(VIEW, headers=SECRETARY).get_json() == {"topic_id": T1, "concerns": []}
    assert [c.method for c in fake.calls] == ["GetTopic"]


@pytest.mark.parametrize("role", ["resident", "owners_committee", "property_company"])
def test_who_reads_no_concerns_is_refused_before_anything_is_asked(client, fake, role):
    assert problem_of(client.get(VIEW, headers=bearer(role)), 403)["detail"] == f"a {role} may not do this"
    assert fake.calls == []


@pytest.mark.parametrize("code, status", [(grpc.StatusCode.PERMISSION_DENIED, 403), (grpc.StatusCode.NOT_FOUND, 404)],
                         ids=["not the caller's to see", "unknown to intake"])
def test_a_concern_intake_refuses_answers_for_the_view_with_intakes_reason(client, fake, code, status):
    fake.deliberation.GetTopic.returns(draft())
    _intake_knows_every_concern(fake, refusing=CONCERN_IDS[1], code=code)
    response = client.get(VIEW, headers=bearer("community_admin"))
    assert problem_of(response, status)["detail"] == f"concern {CONCERN_IDS[1]} (intake's own words)"


def test_a_topic_deliberation_does_not_know_is_a_404_and_intake_is_not_asked(client, fake):
    fake.deliberation.GetTopic.fails(grpc.StatusCode.NOT_FOUND, f"no topic {T1}")
    assert problem_of(client.get(VIEW, headers=SECRETARY), 404)["detail"] == f"no topic {T1}"
    assert fake.intake.GetConcern.calls == []

"""The first slice over the wire: gateway → intake → outbox → broker → every consumer, exactly once."""
from __future__ import annotations

import os
import signal
import threading
import time

import grpc

from lianyi.dispatch.v1 import dispatch_service_pb2 as dispatch_pb
from lianyi.dispatch.v1.dispatch_service_pb2_grpc import DispatchServiceStub
from lianyi.evaluation.v1 import evaluation_service_pb2 as evaluation_pb
from lianyi.evaluation.v1.evaluation_service_pb2_grpc import EvaluationServiceStub
from servicekit import envelope, topics
from tests.e2e.conftest import pool_ids, post_concerns, submission, wait_for_pool
from tests.e2e.principals import county_admin
from tests.kafka_helpers import produce, read_topic, wait_for


def test_200_concerns_reach_deliberation_dispatch_and_evaluation_exactly_once(gateway, pooling_neighbourhood,
                                                                               grpc_channel, platform, system):
    ids = post_concerns(gateway, [submission(pooling_neighbourhood, n) for n in range(200)], platform)
    assert len(set(ids)) == 200

    pooled = wait_for_pool(gateway, pooling_neighbourhood, set(ids), platform)
    assert sorted(pooled) == sorted(ids), "every concern pooled exactly once"

    admin = county_admin(system)
    dispatch = DispatchServiceStub(grpc_channel("dispatch"))
    for concern_id in ids:
        task = dispatch.GetTask(dispatch_pb.GetTaskRequest(concern_id=concern_id), metadata=admin)
        assert task.neighbourhood_id == pooling_neighbourhood
    evaluation = EvaluationServiceStub(grpc_channel("evaluation"))
    request = evaluation_pb.GetIntakeFiguresRequest(neighbourhood_id=pooling_neighbourhood)
    wait_for(lambda: evaluation.GetIntakeFigures(request, metadata=admin).concerns_received == 200,
             message="evaluation counted 200")
    time.sleep(1)  # anything doubled would show up now
    assert evaluation.GetIntakeFigures(request, metadata=admin).concerns_received == 200


def test_a_posted_concern_can_be_fetched_with_its_contact_by_those_who_handle_it(gateway, neighbourhood, sign_in):
    import requests

    admin = sign_in("county.admin")
    directory = f"{gateway}/api/v1/directory/entities"
    building = requests.post(directory, headers=admin, timeout=10,
                             json={"kind": "building", "name": "1号楼", "parent_id": neighbourhood}).json()
    household = requests.post(directory, headers=admin, timeout=10,
                              json={"kind": "household", "name": "301室", "parent_id": building["entity_id"]}).json()
    body = submission(neighbourhood, household_id=household["entity_id"],
                      reporter={"name": "林伯", "phone": "13912345678"}, urgency="urgent", anonymous=True,
                      location={"address": "3号楼楼道", "latitude": 26.08, "longitude": 119.3},
                      photo_urls=["https://photos.example/hallway.jpg"])
    created = requests.post(f"{gateway}/api/v1/concerns", json=body, headers=admin, timeout=10)
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/concerns/{created.json()['concern_id']}"
    fetched = requests.get(f"{gateway}{created.headers['Location']}", headers=admin, timeout=10).json()
    assert created.json().pop("possible_duplicates") == []  # suggested on submission only
    assert fetched == {k: v for k, v in created.json().items() if k != "possible_duplicates"}
    assert fetched["reporter"] == {"name": "林伯", "phone": "13912345678"}
    assert (fetched["household_id"], fetched["building_id"], fetched["status"], fetched["channel"]) == (
        household["entity_id"], building["entity_id"], "received", "online")
    assert (fetched["urgency"], fetched["anonymous"], fetched["photo_urls"]) == (
        "urgent", True, ["https://photos.example/hallway.jpg"])
    assert fetched["location"] == {"address": "3号楼楼道", "latitude": 26.08, "longitude": 119.3}


def test_consumers_killed_mid_stream_still_apply_every_concern_once(system, gateway, pooling_neighbourhood, platform,
                                                                  grpc_channel):
    bodies = [submission(pooling_neighbourhood, n) for n in range(200)]
    ids: list[str] = []
    poster = threading.Thread(target=lambda: ids.extend(post_concerns(gateway, bodies, platform, workers=4)))
    poster.start()
    wait_for(lambda: len(pool_ids(gateway, pooling_neighbourhood, platform)) >= 20, timeout_s=60,
             message="the stream under way")

    pooled_before_kill = len(pool_ids(gateway, pooling_neighbourhood, platform))
    # Deliberation's pool ignores a repeated concern by itself; evaluation's count does not, so
    # only its inbox stands between a redelivery and a doubled figure.
    for victim in ("deliberation", "evaluation"):
        os.kill(system.children[victim].pid, signal.SIGKILL)
    assert pooled_before_kill < 200, "the kill must land mid-stream for this test to mean anything"
    for victim in ("deliberation", "evaluation"):
        system.children[victim].wait(10)
        system.start_service(victim)  # same database, same consumer group
    poster.join(120)

    assert len(ids) == 200
    pooled = wait_for_pool(gateway, pooling_neighbourhood, set(ids), platform, timeout_s=90)
    assert sorted(pooled) == sorted(ids), "nothing lost, nothing doubled across the kill"
    evaluation = EvaluationServiceStub(grpc_channel("evaluation"))
    request = evaluation_pb.GetIntakeFiguresRequest(neighbourhood_id=pooling_neighbourhood)

    def counted() -> int:
        try:
            return evaluation.GetIntakeFigures(request, metadata=county_admin(system)).concerns_received
        except grpc.RpcError as exc:
            # Killed before its directory replica had the new neighbourhood, evaluation learns
            # of it again only after its consumer has rejoined the group.
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return 0

    wait_for(lambda: counted() >= 200, timeout_s=60, message="evaluation caught up")
    time.sleep(1)
    assert evaluation.GetIntakeFigures(request, metadata=county_admin(system)).concerns_received == 200


def test_garbage_on_the_intake_topic_is_dead_lettered_while_good_concerns_flow(system, gateway, pooling_neighbourhood,
                                                                               platform):
    garbage = f"not an event {pooling_neighbourhood}".encode()
    produce(system.addresses.broker, topics.INTAKE, [(pooling_neighbourhood.encode(), garbage)])
    ids = post_concerns(gateway, [submission(pooling_neighbourhood, n) for n in range(3)], platform)
    wait_for_pool(gateway, pooling_neighbourhood, set(ids), platform)

    def parked():
        return [r for r in read_topic(system.addresses.broker, topics.dlq(topics.INTAKE))
                if r.value == garbage]

    records = wait_for(lambda: len(parked()) >= 3 and parked(), message="garbage in the DLQ for all three consumers")
    consumers = sorted(dict(r.headers)["lianyi-consumer"].decode() for r in records)
    assert consumers == ["deliberation", "dispatch", "evaluation"]
    assert all(dict(r.headers)["lianyi-error"].startswith(b"undecodable") for r in records)


def test_the_correlation_id_travels_from_the_request_into_the_event(system, gateway, neighbourhood, platform):
    import requests

    response = requests.post(f"{gateway}/api/v1/concerns", json=submission(neighbourhood),
                             headers={"X-Correlation-Id": f"trace-{neighbourhood}", **platform}, timeout=10)
    assert response.headers["X-Correlation-Id"] == f"trace-{neighbourhood}"
    concern_id = response.json()["concern_id"]

    def event():
        for record in read_topic(system.addresses.broker, topics.INTAKE):
            if record.key == neighbourhood.encode():
                return envelope.decode(record.value)

    sealed = wait_for(event, message="the ConcernReceived event on the topic")
    assert sealed.correlation_id == f"trace-{neighbourhood}"
    assert sealed.producer == "intake"
    assert concern_id in sealed.payload.value.decode(errors="ignore")


def test_a_retried_submission_with_an_idempotency_key_creates_nothing_new(gateway, pooling_neighbourhood, platform):
    import requests

    body = submission(pooling_neighbourhood, description="电梯经常停运")
    headers = {**platform, "Idempotency-Key": f"platform-{pooling_neighbourhood}"}
    first = requests.post(f"{gateway}/api/v1/concerns", json=body, headers=headers, timeout=10)
    retry = requests.post(f"{gateway}/api/v1/concerns", json=body, headers=headers, timeout=10)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    changed = requests.post(f"{gateway}/api/v1/concerns", json={**body, "description": "别的事"}, headers=headers,
                            timeout=10)
    assert changed.status_code == 422
    (sentinel,) = post_concerns(gateway, [submission(pooling_neighbourhood, 2)], platform)
    pooled = wait_for_pool(gateway, pooling_neighbourhood, {sentinel}, platform)
    assert sorted(pooled) == sorted([first.json()["concern_id"], sentinel])


def test_a_chat_group_batch_sent_twice_pools_each_message_once(gateway, pooling_neighbourhood, platform):
    import requests

    batch = {"source": f"wechat:{pooling_neighbourhood}", "messages": [
        {"source_message_id": f"msg-{n}", "neighbourhood_id": pooling_neighbourhood, "text": f"第{n}条: 电动车在楼道充电"}
        for n in range(5)]}
    first = requests.post(f"{gateway}/api/v1/concerns/online-batches", json=batch, headers=platform, timeout=30)
    again = requests.post(f"{gateway}/api/v1/concerns/online-batches", json=batch, headers=platform, timeout=30)
    assert first.json()["summary"] == {"created": 5, "duplicate": 0, "rejected": 0}
    assert again.json()["summary"] == {"created": 0, "duplicate": 5, "rejected": 0}
    created = {o["concern_id"] for o in first.json()["outcomes"]}
    assert {o["concern_id"] for o in again.json()["outcomes"]} == created
    (sentinel,) = post_concerns(gateway, [submission(pooling_neighbourhood, 9)], platform)
    pooled = wait_for_pool(gateway, pooling_neighbourhood, created | {sentinel}, platform)
    assert sorted(pooled) == sorted(created | {sentinel})

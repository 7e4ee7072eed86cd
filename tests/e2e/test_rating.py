"""Rating (评事) over the wire, through the gateway, across all the services: a resident's concern
is handled by the building leader, rated unsatisfied by the household, reopened for rework under
the party organisation, resolved again, rated satisfied and archived; the resident's "where is my
matter?" shows every step; the leader's ledger carries the rating; only that household rates."""
from __future__ import annotations

import requests

from tests.e2e import handling
from tests.e2e.test_handling import _ok, _raised_and_triaged, _refused, _task_opens, estate
from tests.kafka_helpers import wait_for

__all__ = ["estate"]  # the fixture, shared with the handling tests


def _awaiting(estate: handling.Estate, task_id: str, headers: dict, round_: int) -> dict:
    """The matter once evaluation has heard of the task's resolution `round_`."""
    def heard():
        response = estate.call("GET", f"/matters/{task_id}", headers)
        return response.status_code == 200 and response.json()["round"] == round_ and \
            response.json()["state"] == "awaiting_rating" and response.json()
    return wait_for(heard, timeout_s=30, message=f"round {round_} of {task_id} to rate")


def _resolve(estate: handling.Estate, task_id: str, result: str) -> None:
    def resolved() -> requests.Response | bool:
        response = estate.call("POST", f"/tasks/{task_id}/resolution", estate.leader, json={"result": result})
        return response if response.status_code == 200 else False
    wait_for(resolved, timeout_s=30, message=f"{task_id} resolved")


def test_unsatisfied_is_reworked_then_rated_satisfied_and_archived(estate):
    resident, neighbour = estate.resident(0), estate.resident(1)
    concern_id = _raised_and_triaged(estate, resident, estate.led_households[0], "property_management",
                                     "电梯异响")
    _task_opens(estate, concern_id, estate.leader)
    _resolve(estate, concern_id, "已请维保检查")

    matter = _awaiting(estate, concern_id, resident, 1)
    assert (matter["result"], matter["rating"], matter["household_ids"]) == (
        "已请维保检查", None, [estate.led_households[0]])
    mine = _ok(estate.call("GET", "/matters", resident, params={"list": "mine", "state": "awaiting_rating"}))
    assert [m["task_id"] for m in mine["matters"]] == [concern_id]
    _refused(estate.call("GET", f"/matters/{concern_id}", neighbour), 404, "no matter")
    _refused(estate.call("POST", f"/matters/{concern_id}/rating", neighbour, json={"rating": "satisfied"}),
             404, "no matter")
    _refused(estate.call("POST", f"/matters/{concern_id}/rating", resident, json={"rating": "great"}), 422,
             "does not match the schema")

    rated = _ok(estate.call("POST", f"/matters/{concern_id}/rating", resident,
                            json={"rating": "unsatisfied", "comment": "还是有异响"}))
    assert (rated["state"], rated["rating"]) == ("reworking", "unsatisfied")
    assert rated["supervisor_id"] and rated["supervisor_name"], "the party organisation supervises by default"
    _refused(estate.call("POST", f"/matters/{concern_id}/rating", resident, json={"rating": "satisfied"}),
             409, "rated already")

    # Dispatch reopens the task under the supervisor; the leader resolves it again.
    reopened = wait_for(lambda: (task := _ok(estate.call("GET", f"/tasks/{concern_id}", estate.leader)))
                        ["state"] == "in_handling" and task, timeout_s=30, message="the task reopened")
    assert (reopened["rework_round"], reopened["supervisor"]["id"]) == (1, rated["supervisor_id"])
    assert reopened["history"][-1]["step"] == "reopened"
    assert "还是有异响" not in reopened["history"][-1]["note"], "the household's words stay on the matter"
    _resolve(estate, concern_id, "更换了导轨")
    _awaiting(estate, concern_id, resident, 2)
    done = _ok(estate.call("POST", f"/matters/{concern_id}/rating", resident, json={"rating": "satisfied"}))
    assert (done["state"], done["round"], done["rating"]) == ("archived", 2, "satisfied")

    # Dispatch's steps and evaluation's reach intake apart (each service reports its own): wait for
    # them all, then read them in time order.
    steps = ["received", "triaged", "in_handling", "resolved", "rated", "reopened", "resolved", "rated", "archived"]
    seen: list[str] = []

    def every_step() -> bool:
        seen[:] = [step["status"] for step in _ok(estate.call("GET", f"/concerns/{concern_id}", resident))["timeline"]]
        return len(seen) >= len(steps)
    wait_for(every_step, timeout_s=30, message="every step on the concern's timeline")
    assert seen == steps
    ledger = wait_for(lambda: (found := _ok(estate.call("GET", "/ledger", estate.leader)))["commitments"]
                      [0]["rating"] == "satisfied" and found, timeout_s=30, message="the rating on the ledger")
    (commitment,) = ledger["commitments"]
    assert (commitment["task_id"], commitment["state"], commitment["rework_rounds"]) == (concern_id, "fulfilled", 1)


def test_staff_record_a_rating_given_in_person_for_the_household(estate):
    resident = estate.resident(0)
    concern_id = _raised_and_triaged(estate, resident, estate.led_households[0], "property_management", "门禁坏了")
    _task_opens(estate, concern_id, estate.leader)
    _resolve(estate, concern_id, "门禁已修")
    _awaiting(estate, concern_id, estate.secretary, 1)
    _refused(estate.call("POST", f"/matters/{concern_id}/rating", estate.secretary, json={"rating": "satisfied"}),
             422, "household_id is required")
    rated = _ok(estate.call("POST", f"/matters/{concern_id}/rating", estate.secretary,
                            json={"rating": "basically_satisfied", "household_id": estate.led_households[0]}))
    assert (rated["in_person"], rated["state"], rated["rating"]) == (True, "archived", "basically_satisfied")
    assert rated["recorded_by"]

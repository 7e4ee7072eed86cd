"""Dispatch's answers as the API shows them: times as RFC 3339, and proto3's empty strings, zeros
that mean "none" and unset timestamps as null."""
from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.dispatch_schemas import (
    CommitmentOut,
    DecidedActionOut,
    DeliveryAttemptOut,
    DeliveryOut,
    DepartmentCallOut,
    DepartmentFiguresOut,
    DispatchFiguresOut,
    LedgerOut,
    PartOut,
    PersonOut,
    TaskOut,
    TaskStepOut,
)


def _at(message, field: str) -> datetime | None:
    """A timestamp field, or None when it is unset."""
    return getattr(message, field).ToDatetime(tzinfo=UTC) if message.HasField(field) else None


def _person(person) -> PersonOut:
    return PersonOut(id=person.id, name=person.name)


def _part(part) -> PartOut:
    return PartOut(body=part.body, part=part.part, result=part.result or None, recorded_at=_at(part, "recorded_at"),
                   recorded_by=part.recorded_by or None)


def _department_call(call) -> DepartmentCallOut:
    return DepartmentCallOut(department_id=call.department_id, name=call.name, whistled_at=_at(call, "whistled_at"),
                             report_in_due=_at(call, "report_in_due"), reported_in_at=_at(call, "reported_in_at"),
                             result=call.result or None, result_at=_at(call, "result_at"))


def task_out(task) -> TaskOut:
    resolved_at = _at(task, "resolved_at")
    return TaskOut(
        task_id=task.task_id or None, concern_id=task.concern_id or None, neighbourhood_id=task.neighbourhood_id,
        building_id=task.building_id or None, household_id=task.household_id or None,
        category=task.category or None, urgency=task.urgency or None, route=task.route or None,
        merged_into=task.merged_into or None, received_at=_at(task, "received_at"), opened_at=_at(task, "opened_at"),
        state=task.state, tier=task.tier or None, mode=task.mode or None, handler_id=task.handler_id or None,
        handler_name=task.handler_name or None, helpers=[_person(p) for p in task.helpers],
        decision_id=task.decision_id or None, action_id=task.action_id or None, concern_ids=list(task.concern_ids),
        description=task.description or None, deadline=_at(task, "deadline"), overdue_at=_at(task, "overdue_at"),
        resolved_at=resolved_at, result=task.result or None, on_time=task.on_time if resolved_at else None,
        rework_round=task.rework_round,
        supervisor=_person(task.supervisor) if task.HasField("supervisor") else None,
        parts=[_part(p) for p in task.parts], departments=[_department_call(d) for d in task.departments],
        whistled_at=_at(task, "whistled_at"),
        history=[TaskStepOut(at=_at(s, "at"), step=s.step, actor=s.actor or None, note=s.note) for s in task.history],
    )


def task_json(task) -> dict:
    """A task as a JSON answer."""
    return task_out(task).model_dump(mode="json")


def decided_action_out(action) -> DecidedActionOut:
    return DecidedActionOut(action_id=action.action_id, decision_id=action.decision_id, topic_id=action.topic_id,
                            neighbourhood_id=action.neighbourhood_id, description=action.description,
                            tier=action.tier or None, owner_id=action.owner_id or None,
                            owner_name=action.owner_name or None, deadline=action.deadline or None,
                            received_at=_at(action, "received_at"))


def _commitment(commitment) -> CommitmentOut:
    fulfilled_at = _at(commitment, "fulfilled_at")
    return CommitmentOut(
        commitment_id=commitment.commitment_id, task_id=commitment.task_id,
        neighbourhood_id=commitment.neighbourhood_id, mode=commitment.mode or None,
        committed_at=_at(commitment, "committed_at"), deadline=_at(commitment, "deadline"), state=commitment.state,
        fulfilled_at=fulfilled_at, on_time=commitment.on_time if fulfilled_at else None,
        rating=commitment.rating or None, rework_rounds=commitment.rework_rounds)


def ledger_out(ledger) -> LedgerOut:
    return LedgerOut(member_id=ledger.member_id, member_name=ledger.member_name,
                     commitments=[_commitment(c) for c in ledger.commitments],
                     next_page_token=ledger.next_page_token or None, committed=ledger.committed,
                     fulfilled_on_time=ledger.fulfilled_on_time, fulfilled_late=ledger.fulfilled_late,
                     open=ledger.open, released=ledger.released)


def delivery_out(delivery) -> DeliveryOut:
    return DeliveryOut(
        delivery_id=delivery.delivery_id, task_id=delivery.task_id, event_type=delivery.event_type,
        created_at=_at(delivery, "created_at"), state=delivery.state, delivered_at=_at(delivery, "delivered_at"),
        next_attempt_at=_at(delivery, "next_attempt_at"),
        attempts=[DeliveryAttemptOut(number=a.number, at=_at(a, "at"), status=a.status or None, error=a.error or None,
                                     duration_ms=a.duration_ms) for a in delivery.attempts])


def figures_out(figures) -> DispatchFiguresOut:
    return DispatchFiguresOut(
        place_id=figures.place_id, from_=figures.from_day, to=figures.to_day, opened=figures.opened,
        individual=figures.individual, joint=figures.joint, escalated=figures.escalated, resolved=figures.resolved,
        resolved_on_time=figures.resolved_on_time, overdue=figures.overdue, went_up=figures.went_up,
        reworked=figures.reworked,
        departments=[DepartmentFiguresOut(department_id=d.department_id, name=d.name, whistled=d.whistled,
                                          reported_in=d.reported_in, reported_in_on_time=d.reported_in_on_time,
                                          median_report_in_minutes=d.median_report_in_minutes if d.reported_in
                                          else None)
                     for d in figures.departments])

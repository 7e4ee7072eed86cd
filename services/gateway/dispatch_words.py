"""Dispatch's proto enums as the API's words (contract.py's): TASK_LIST_OVERDUE is "overdue",
DEPARTMENT_REPORT_KIND_REPORT_IN is "report_in", and unspecified is no word at all (null)."""
from __future__ import annotations

from lianyi.dispatch.v1 import dispatch_service_pb2 as pb
from lianyi.dispatch.v1 import events_pb2
from servicekit import enum_words
from services.dispatch import contract
from services.gateway.deliberation_words import Words

LISTS = Words(pb.TaskList, "TASK_LIST", contract.LISTS)
REPORT_KINDS = Words(events_pb2.DepartmentReportKind, "DEPARTMENT_REPORT_KIND", contract.REPORT_KINDS)
# A task's and a commitment's mode travels as a word already (Task.mode, Commitment.mode); these are
# the words it may be, spelled from the enum the events carry it in.
MODES = tuple(enum_words.word(events_pb2.AssignmentMode, "ASSIGNMENT_MODE", value)
              for value in events_pb2.AssignmentMode.values() if value)

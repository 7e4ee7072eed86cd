"""Evaluation's proto enums as the API's words (contract.py's): MATTER_LIST_PLACE is "place",
RATING_BASICALLY_SATISFIED is "basically_satisfied", and unspecified is no word at all (null)."""
from __future__ import annotations

from lianyi.evaluation.v1 import evaluation_service_pb2 as pb
from lianyi.evaluation.v1 import events_pb2
from services.evaluation import contract
from services.gateway.deliberation_words import Words

LISTS = Words(pb.MatterList, "MATTER_LIST", contract.MATTER_LISTS)
RATINGS = Words(events_pb2.Rating, "RATING", contract.RATINGS)

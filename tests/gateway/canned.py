"""Answers the services would give, as protobuf messages for the fake upstream, and a request body or
two the gateway accepts."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from lianyi.directory.v1 import entity_pb2
from lianyi.intake.v1 import concern_pb2
from lianyi.intake.v1 import intake_service_pb2 as intake_pb
from lianyi.settings.v1 import settings_pb2

# A small demo county: its places' ids, county first.
COUNTY, TOWNSHIP, COMMUNITY, N1 = "county-0001", "township-0001", "community-0001", "neighbourhood-0001"
N1_PATH = (COUNTY, TOWNSHIP, COMMUNITY, N1)
RECEIVED = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
# A sit-down talk the gateway passes on as it is.
TALK = {"venue_id": "venue-0001", "held_on": "2026-11-01", "host_ids": ["member-0001"], "attendance": 14,
        "entries": [{"text": "广场舞音响太吵", "category": "noise", "becomes_concern": True}]}


def categories() -> intake_pb.ListCategoriesResponse:
    """ListCategories' answer: two of the county's open categories."""
    return intake_pb.ListCategoriesResponse(categories=[
        intake_pb.Category(code="noise", name_zh="噪音扰民", name_en="Noise"),
        intake_pb.Category(code="blocked_hallway", name_zh="楼道堵塞", name_en="Blocked hallways")])


def concern(concern_id: str = "concern-0001") -> concern_pb2.Concern:
    """A concern as intake answers SubmitConcern or GetConcern: just received, in N1."""
    return concern_pb2.Concern(concern_id=concern_id, neighbourhood_id=N1, channel=concern_pb2.CHANNEL_ONLINE,
                               category="noise", description="夜里楼上有噪音", status="received", urgency="normal",
                               received_at=_at(RECEIVED), updated_at=_at(RECEIVED))


def entity(kind: str, entity_id: str, ancestor_ids: tuple[str, ...]) -> entity_pb2.Entity:
    """A directory entity as GetEntity answers it."""
    return entity_pb2.Entity(entity_id=entity_id, kind=kind, name=kind, ancestor_ids=list(ancestor_ids),
                             parent_id=ancestor_ids[-1] if ancestor_ids else "", version=1,
                             updated_at=_at(RECEIVED))


def setting(key: str, *values: settings_pb2.SettingValue, qualifier: str = "") -> settings_pb2.Setting:
    """A setting as its service lists it: whole days from 1 to 365, 30 by default, set where `values`
    are (the last, the most specific, applies)."""
    return settings_pb2.Setting(
        key=key, description="重复诉求的识别窗口 (days)", default_json="30",
        value_schema_json=json.dumps({"type": "integer", "minimum": 1, "maximum": 365}),
        levels=["*", "county", "township", "community", "neighbourhood"],
        qualifier_description=qualifier, effective_json=values[-1].value_json if values else "30",
        effective_from=values[-1].scope_id if values else "", values=list(values))


def setting_value(key: str, scope_id: str, value_json: str, qualifier: str = "") -> settings_pb2.SettingValue:
    """A value set at `scope_id`, as SetSetting answers it and ListSettings shows it."""
    return settings_pb2.SettingValue(id=f"value-{scope_id}", key=key, scope_id=scope_id, qualifier=qualifier,
                                     value_json=value_json, version=1, updated_at=_at(RECEIVED),
                                     updated_by="account-county_admin")


def _at(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp

"""What anyone may see of concerns (Open311, public notices): the one place that decides it.

No household, no reporter, ever; for a concern raised anonymously not its description, address,
coordinates or photos either, since those can say who raised it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from servicekit.database import Database
from servicekit.errors import InvalidArgument
from services.intake import domain, storage

if TYPE_CHECKING:
    from services.intake.handlers import Intake
from services.intake.timeline import domain as statuses

LIMIT_MAX = 1000
IDS_MAX = 1000
STATES = ("open", "closed")


@dataclass(frozen=True)
class PublicConcern:
    concern: domain.Concern
    neighbourhood_name: str
    status_note: str = ""


def statuses_of(states: list[str]) -> list[str] | None:
    """The statuses behind the public open/closed states; None for both."""
    unknown = set(states) - set(STATES)
    if unknown:
        raise InvalidArgument("status must be open or closed")
    if not states or set(states) == set(STATES):
        return None
    if set(states) == {"closed"}:
        return sorted(statuses.CLOSED)
    return [s for s in statuses.STATUSES if s not in statuses.CLOSED and s != statuses.MERGED]


def redacted(concern: domain.Concern) -> domain.Concern:
    """The concern with everything the public may not see removed."""
    concern = replace(concern, household_id="", reporter=None, timeline=(), possible_duplicates=())
    if concern.anonymous:
        concern = replace(concern, description="", location=None, photo_urls=())
    return concern


class PublicView:
    def __init__(self, db: Database, intake: Intake):
        self.db, self.intake = db, intake

    def list(self, *, concern_ids: list[str], category: str, received_from: datetime | None,
             received_to: datetime | None, states: list[str], neighbourhood_id: str, limit: int
             ) -> list[PublicConcern]:
        if not 0 <= limit <= LIMIT_MAX:
            raise InvalidArgument(f"limit must be 1-{LIMIT_MAX}")
        if len(concern_ids) > IDS_MAX:
            raise InvalidArgument(f"ask for at most {IDS_MAX} concerns by id")
        if received_from and received_to and received_from > received_to:
            raise InvalidArgument("the start of the period is after its end")
        wanted = statuses_of(states)
        with self.db.read() as conn:
            found = storage.public_concerns(conn, concern_ids=concern_ids, category=category,
                                            received_from=received_from, received_to=received_to, statuses=wanted,
                                            neighbourhood_id=neighbourhood_id, limit=limit or LIMIT_MAX)
            if concern_ids:  # asked for by id, a merged concern answers with its survivor's status
                found += storage.merged_among(conn, concern_ids)
            shown = []
            for concern in found:
                note = ""
                if concern.merged_into:
                    survivor = storage.get_concern(conn, concern.merged_into)
                    concern = replace(concern, status=survivor.status if survivor else concern.status)
                    note = f"merged into {concern.merged_into}"
                    if wanted is not None and concern.status not in wanted:
                        continue
                neighbourhood = self.intake.place(conn, concern.neighbourhood_id)
                shown.append(PublicConcern(redacted(concern), neighbourhood.name if neighbourhood else "", note))
        return shown

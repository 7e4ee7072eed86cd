"""How a concern is shown to those who may see it: with its timeline (a merged one following its
survivor), and, for those who triage and merge, the recent concerns that look like the same matter."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa

from servicekit import auth
from services.intake import contract, domain, similarity, storage
from services.intake.timeline import domain as statuses
from services.intake.timeline import storage as timeline

MERGED_FOR_RESIDENTS = "handled together with the same matter raised by other households"


def followed(conn: sa.Connection, concern: domain.Concern) -> domain.Concern:
    """The concern with its timeline; a merged one follows its survivor's status."""
    own = timeline.entries(conn, concern.concern_id)
    survivor = storage.get_concern(conn, concern.merged_into) if concern.merged_into else None
    if survivor is None:
        return replace(concern, timeline=tuple(own))
    merged_at = next((e.at for e in reversed(own) if e.status == contract.MERGED), concern.updated_at)
    survivor_steps = timeline.entries(conn, survivor.concern_id)
    merged_into: str | None = survivor.concern_id
    if survivor.household_id != concern.household_id:
        # The survivor may be another household's matter: its notes are not for this reader.
        survivor_steps = [replace(step, note="") for step in survivor_steps]
        principal = auth.current.get()
        if principal is not None and principal.role == "resident":
            # Nor, for a resident, the secretary's merge note or the survivor's id (which they
            # could not read): they see their matter followed as one with others'.
            own = [replace(step, note=MERGED_FOR_RESIDENTS) if step.status == contract.MERGED else step
                   for step in own]
            merged_into = None
    steps = statuses.followed(own, survivor_steps, merged_at or concern.received_at)
    return replace(concern, status=survivor.status, timeline=tuple(steps), merged_into=merged_into)


def suggesting(conn: sa.Connection, concern: domain.Concern, window: timedelta) -> domain.Concern:
    """With recent ones (received within `window` before it) that look like the same matter, for
    those who triage and merge (a resident is not shown other households' concerns)."""
    principal = auth.current.get()
    if principal is not None and principal.role == "resident":
        return concern
    return replace(concern, possible_duplicates=tuple(similar_to(conn, concern, window)))


def similar_to(conn: sa.Connection, concern: domain.Concern, window: timedelta) -> list[domain.SimilarConcern]:
    """Concerns of its neighbourhood and category received within `window` before it whose
    descriptions look alike, most similar first."""
    candidates = storage.recent_in_category(conn, concern.neighbourhood_id, concern.category,
                                            concern.received_at - window, similarity.CANDIDATES,
                                            exclude=concern.concern_id)
    details = {c[0]: c for c in candidates}
    return [domain.SimilarConcern(concern_id, score, details[concern_id][2], details[concern_id][3])
            for concern_id, score in similarity.most_similar(concern.description, [c[:2] for c in candidates])]

"""The topic catalogue: every topic lianyi uses, with its partitioning and retention.

Message keys are neighbourhood ids, so a neighbourhood's events stay in order on one partition;
the compacted topics are keyed by what they describe (a directory entity, a county setting).
"""
from __future__ import annotations

from dataclasses import dataclass, field

DIRECTORY = "lianyi.directory.v1"
INTAKE = "lianyi.intake.v1"
DELIBERATION = "lianyi.deliberation.v1"
DISPATCH = "lianyi.dispatch.v1"
EVALUATION = "lianyi.evaluation.v1"
# County settings changed (servicekit.county_settings), keyed by key|scope|qualifier. Read by
# every replica from the beginning without a consumer group, never by a consumer group: no DLQ.
SETTINGS = "lianyi.settings.v1"

EVENT_TOPICS = (DIRECTORY, INTAKE, DELIBERATION, DISPATCH, EVALUATION)

# Which topic each service publishes its events on.
TOPIC_OF_SERVICE = {
    "intake": INTAKE,
    "deliberation": DELIBERATION,
    "dispatch": DISPATCH,
    "evaluation": EVALUATION,
}


def dlq(topic: str) -> str:
    """The dead-letter twin of a topic."""
    return topic + ".dlq"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


def catalogue(partitions: int) -> list[TopicSpec]:
    """All topics with their settings; DLQs get one partition (they are read by people, rarely)."""
    specs = []
    for topic in EVENT_TOPICS:
        config = {"cleanup.policy": "compact"} if topic == DIRECTORY else {}
        specs.append(TopicSpec(topic, partitions, config))
        specs.append(TopicSpec(dlq(topic), 1))
    # Small (one record per change an administrator makes), so one partition keeps it in order.
    specs.append(TopicSpec(SETTINGS, 1, {"cleanup.policy": "compact"}))
    return specs

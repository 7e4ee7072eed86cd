"""The one place intake's parts are connected."""
from __future__ import annotations

from dataclasses import dataclass

from lianyi.events.v1.progress_pb2 import ConcernProgressed
from servicekit import county_settings, topics
from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.consumer import Subscription
from servicekit.database import Database
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from servicekit.settings_store import CountySettings
from servicekit.unit_of_work import UnitsOfWork
from services import upcasters
from services.contract import SETTINGS_WRITERS
from services.intake import events, grpc_api
from services.intake.accounts import grpc_api as accounts_grpc_api
from services.intake.accounts.handlers import Accounts
from services.intake.directory import grpc_api as directory_grpc_api
from services.intake.directory.handlers import Directory
from services.intake.figures.handlers import AskingReport
from services.intake.handlers import Concerns
from services.intake.places import Places
from services.intake.reception import Reception
from services.intake.settings import DEFINITIONS, IntakeSettings
from services.intake.talks.handlers import Talks
from services.intake.timeline.handlers import apply_reports
from services.intake.triage.handlers import Triage
from services.intake.visits.handlers import Visits


@dataclass(frozen=True)
class IntakeParts:
    """Intake's handlers, connected; the gRPC servers and tests use them alike."""

    db: Database
    units: UnitsOfWork
    places: Places
    settings: IntakeSettings
    concerns: Concerns
    visits: Visits
    asking: AskingReport
    talks: Talks
    triage: Triage
    directory: Directory
    accounts: Accounts


def assemble(db: Database, outbox: Outbox, clock: Clock) -> IntakeParts:
    audit = AuditLog(db, clock)
    units = UnitsOfWork(db, outbox, "intake", events.outgoing, county_settings.outgoing)
    places = Places(clock)
    settings = IntakeSettings(CountySettings("intake", DEFINITIONS, units, clock, audit, places, SETTINGS_WRITERS))
    reception = Reception(places, settings, clock, audit)
    return IntakeParts(
        db=db, units=units, places=places, settings=settings,
        concerns=Concerns(db, units, places, settings, reception, clock),
        visits=Visits(db, units, reception, clock, audit),
        asking=AskingReport(db),
        talks=Talks(db, units, reception, clock, audit),
        triage=Triage(db, units, places, settings, clock, audit),
        directory=Directory(units, clock, audit),
        accounts=Accounts(db, clock, audit),
    )


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    intake = assemble(db, outbox, clock)
    return Wiring(
        registrations=[
            grpc_api.registration(intake.concerns, intake.visits, intake.talks, intake.triage, intake.asking),
            directory_grpc_api.registration(intake.directory),
            accounts_grpc_api.registration(intake.accounts),
        ],
        units=intake.units,
        settings=intake.settings.county,
        # Concern timelines, from what the downstream services report.
        subscriptions=[Subscription(topic, ConcernProgressed, events.progress, apply_reports,
                                    upcasters.CONCERN_PROGRESSED)
                       for topic in (topics.DELIBERATION, topics.DISPATCH, topics.EVALUATION)],
    )

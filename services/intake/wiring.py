"""The one place intake's parts are connected."""
from __future__ import annotations

from servicekit.audit import AuditLog
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.outbox import Outbox
from servicekit.service import Wiring
from services.intake import grpc_api
from services.intake.accounts import grpc_api as accounts_grpc_api
from services.intake.accounts.handlers import Accounts
from services.intake.directory import grpc_api as directory_grpc_api
from services.intake.directory.handlers import Directory
from services.intake.handlers import Intake
from services.intake.public import PublicView
from services.intake.timeline.handlers import Timelines
from services.intake.triage.handlers import Triage
from services.intake.talks.handlers import Talks
from services.intake.visits.handlers import Visits


def build(db: Database, outbox: Outbox, clock: Clock) -> Wiring:
    audit = AuditLog(db, clock)
    intake = Intake(db, outbox, clock, audit)
    directory = Directory(db, outbox, clock, audit)
    return Wiring(
        registrations=[
            grpc_api.registration(intake, Visits(db, intake, clock, audit), Talks(db, intake, outbox, clock, audit),
                                  Triage(db, intake, clock, audit), PublicView(db, intake)),
            directory_grpc_api.registration(directory),
            accounts_grpc_api.registration(Accounts(db, clock, audit)),
        ],
        # Concern timelines, from what the downstream services report.
        subscriptions=Timelines(db).subscriptions(),
    )

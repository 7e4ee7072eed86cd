import sys
from pathlib import Path

from servicekit.clock import SystemClock
from servicekit.config import ServiceSettings
from servicekit.database import Database
from servicekit.service import main
from services.intake import demo
from services.intake.wiring import build


def seed_demo(settings: ServiceSettings, credentials: str) -> int:
    """Load the demo county into an empty directory and write its credentials to a file."""
    db = Database(settings.database_url)
    try:
        loaded = demo.seed(db, SystemClock(), Path(credentials or settings.runtime.var_dir / "demo-credentials.json"))
    finally:
        db.dispose()
    print("demo county loaded" if loaded else "directory already has the demo county; nothing loaded")
    return 0


sys.exit(main("intake", build, commands={"seed-demo": seed_demo}))

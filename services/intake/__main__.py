import sys

from servicekit.service import main
from services.intake.wiring import build

sys.exit(main("intake", build))

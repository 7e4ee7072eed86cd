import sys

from servicekit.service import main
from services.deliberation.wiring import build

sys.exit(main("deliberation", build))

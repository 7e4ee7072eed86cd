import sys

from servicekit.service import main
from services.dispatch.wiring import build

sys.exit(main("dispatch", build))

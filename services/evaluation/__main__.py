import sys

from servicekit.service import main
from services.evaluation.wiring import build

sys.exit(main("evaluation", build))

import sys

from servicekit.service import main
from services.evaluation.commands import COMMANDS
from services.evaluation.wiring import build

sys.exit(main("evaluation", build, commands=COMMANDS))

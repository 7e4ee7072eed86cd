from servicekit.migrations import run_env
from services.intake.migrations import target_metadata

run_env(target_metadata())

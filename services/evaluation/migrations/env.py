from servicekit.migrations import run_env
from services.evaluation.migrations import target_metadata

run_env(target_metadata())

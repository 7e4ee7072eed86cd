from servicekit.migrations import run_env
from services.deliberation.migrations import target_metadata

run_env(target_metadata())

"""The directory of places, people and bodies (owned by intake, replicated to the others)."""

"""The residents' vote (议不议): one per household, and the arithmetic that accepts or rejects a topic."""

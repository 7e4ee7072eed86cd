"""Door visits (串门听): members visiting households, and how much of a neighbourhood they reach."""

"""Deliberation in figures: per place and month or year."""

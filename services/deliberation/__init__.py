"""Deliberation (议事): the neighbourhood pool, topics, votes, panels and decisions."""

"""Asking (问事) in figures: a place's households, door visits, talk sessions and concerns over days."""

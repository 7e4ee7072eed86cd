"""Intake (问事): concerns from door visits, sit-down talks and online channels."""

"""Dispatch (办事): tasks for individual, joint and escalated handling."""

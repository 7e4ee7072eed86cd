"""Sit-down talks (促膝谈): sessions at a venue, their hosts and opinion log."""

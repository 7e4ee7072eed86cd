"""A decision's progress (议定事项落实): its actions resolved and rated, kept from dispatch and evaluation."""

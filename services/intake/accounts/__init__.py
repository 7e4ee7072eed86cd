"""Accounts of people who sign in, and API keys of integrations."""

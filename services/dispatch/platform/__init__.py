"""Escalations delivered to the county government platform: signed webhooks from an outbox of
their own (platform_deliveries), retried until the platform takes them, every attempt recorded."""

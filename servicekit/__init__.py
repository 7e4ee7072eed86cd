"""The shared runtime every lianyi process stands on: one module per concern.

config, clock, ids, logs, errors, database, messaging_schema, outbox, inbox, relay,
envelope, topics, kafka, consumer, grpc_server, health_http, metrics, migrations,
service (process wiring and CLI), broker and supervisor (local runs and tests).
"""

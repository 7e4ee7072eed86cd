"""The shared runtime every lianyi process stands on: one module per concern.

config (the process's settings, from the environment), clock, ids, logs, errors (and their gRPC
statuses), auth (principals, tokens, who may call an RPC), caching (the one TTL cache), database,
paging, audit, directory_replica (other services' copy of the directory), events (what handlers
see of an event: place, origin, inbound, aggregates), unit_of_work (state and its events in one
transaction), messaging_schema / outbox / inbox / relay / envelope / topics / kafka / consumer
(reliable events, versioned payloads and their upcasters), timers / timer_runner (steps that
happen because time passed), county_settings / settings_access / settings_schema / settings_store /
settings_service / settings_listener (county settings: typed definitions, who may set them where,
their tables, their cache and writes, their gRPC service, and the thread that applies other
replicas' changes), grpc_server, health_http, metrics, migrations, service (a service process and
its command line). The local run (`make run`, the end-to-end tests) is not here but in `localrun/`.
"""

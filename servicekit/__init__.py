"""The shared runtime every lianyi process stands on: one module per concern.

config (settings), clock, ids, logs, errors (and their gRPC statuses), database, paging,
messaging_schema / outbox / inbox / relay / envelope / topics / kafka / consumer (reliable
events), grpc_server, health_http, metrics, migrations, service (a service process and its
command line). The local run (`make run`, the end-to-end tests) is not here but in `localrun/`.
"""

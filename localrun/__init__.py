"""The whole system on one machine, for `make run`, the end-to-end tests and `make bench`.

processes (children that die with us), broker (the embedded Tansu), ports (what holds a port we
need), clock (time the end-to-end tests move forward), supervisor (every process in order),
`python -m localrun` (`make run`). Never part of the production image (see .dockerignore): the
services and servicekit must not import it, except servicekit.clock, which asks for the movable
clock by name only where a test or local run turned it on.
"""

import os

# The harness starts children with preexec_fn (localrun/processes.py), from processes that may hold
# gRPC channels (the tests do). gRPC's fork handlers then restart its poller thread in the child
# before exec, and closing the inherited descriptors kills that thread's epoll descriptor: the
# child aborts with "epoll_wait error: Bad file descriptor" (grpc/grpc#43055). Without fork support
# gRPC installs no fork handlers. This must be set before grpc is first imported.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

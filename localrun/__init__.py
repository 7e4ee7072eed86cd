"""The whole system on one machine, for `make run`, the end-to-end tests and `make bench`.

processes (children that die with us), broker (the embedded Tansu), ports (what holds a port we
need), supervisor (every process in order), `python -m localrun` (`make run`). Never part of the
production image (see .dockerignore): the services and servicekit must not import it.
"""

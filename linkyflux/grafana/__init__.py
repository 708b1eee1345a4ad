"""The Grafana dashboards' generator (``python -m linkyflux.grafana.dashboards``), from the
sinks' schema. Writes into the repository's ``grafana/`` folder, never into the package.
"""

"""The Grafana dashboards' generator (``python -m linkyflux.grafana.dashboards``): InfluxQL
fragments (``influxql``), panels and the dashboard frame (``panels``), one module per dashboard
(``energy``, ``power``, ``production``), the energy dashboard's rows of Netatmo circuits
(``circuits``) and of Tempo panels (``tempo``), and the list that writes them (``dashboards``).

Reads only the sinks' schema, so that every query names what the sinks write; never imports
another stage, and writes into the repository's ``grafana/`` folder, never into the package.
"""

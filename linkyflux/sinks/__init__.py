"""Sinks: the schema (``schema``), line protocol (``lineprotocol``), readings turned into
lines (``points``), the InfluxDB v1/v2 and file writers (``writers``) and the spool.

Never imports the sources, the sync engine, the settings or the simulator.
"""

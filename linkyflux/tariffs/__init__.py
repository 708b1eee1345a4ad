"""Tariffs: pure. The off-peak schedule grammar and holidays (``schedule``), which schedule
tags each day and the classification of readings in runs (``classifier``), dated prices
(``prices``).

Never does I/O, never reads settings, never imports another stage, an HTTP client or an
InfluxDB client.
"""

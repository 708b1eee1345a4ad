"""Tariffs: pure. The off-peak schedule grammar (``grammar``), the parsed schedule, its public
holidays and the tariff of an instant (``schedule``), the winter and summer of seasonal
off-peak hours (``seasons``), the wall clock of a Paris day across the clock changes
(``wallclock``), the Tempo day of an interval (``tempo``), which schedule tags each day and
the classification of readings in runs (``classifier``), dated prices (``prices``).

Never does I/O, never reads settings, never imports another stage, an HTTP client or an
InfluxDB client.
"""

"""linkyflux: Linky (Enedis) metering data into InfluxDB line protocol, from cron."""

__version__ = "0.1.0"

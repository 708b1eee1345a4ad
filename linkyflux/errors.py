"""Errors, grouped by what the user can do about them.

    LinkyfluxError               exit code  what to do
    ├── ConfigError                  3      fix the named key in the named file
    ├── AuthError                    4      run `linkyflux auth` (consent missing, expired, refused)
    ├── UpstreamError                5      nothing: retry later (gateway down, 5xx, timeouts)
    │   └── RateLimited              5      retry after `retry_after` seconds
    ├── DataError                    6      report it: the gateway sent something we cannot read
    ├── SinkError                    7      check InfluxDB; the points wait in the spool
    ├── MissingData                  8      a day is still missing 48 h after it ended
    ├── Locked                       9      another run is going on: let it finish
    ├── BadFile                     10      fix or leave out the named file to import
    └── StateError                  11      fix the named file or directory of the state dir

Foreign exceptions (httpx, json, influxdb-client) are translated once, at the edge that
raised them, with ``raise ... from exc``. Messages never contain a token or a password.
"""

from __future__ import annotations


class LinkyfluxError(Exception):
    """Base class: ``str(error)`` is the one line shown to the user."""

    exit_code = 1


class ConfigError(LinkyfluxError):
    exit_code = 3


class AuthError(LinkyfluxError):
    exit_code = 4


class UpstreamError(LinkyfluxError):
    exit_code = 5


class RateLimited(UpstreamError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DataError(LinkyfluxError):
    exit_code = 6


class SinkError(LinkyfluxError):
    exit_code = 7


class MissingData(LinkyfluxError):
    exit_code = 8


class BadFile(LinkyfluxError):
    """A file to import is not an Enedis export linkyflux reads, or a line of it does not
    parse: the message names the file, the line and what is wrong."""

    exit_code = 10


class Locked(LinkyfluxError):
    exit_code = 9


class StateError(LinkyfluxError):
    """The state directory or a file in it is unusable: of the wrong kind (a directory for a
    file, a file for a directory), not writable, on a full disk, damaged, or written by a
    newer linkyflux. The message names the path (and the field) and what to do; never what a
    token file holds."""

    exit_code = 11


EXIT_CODES: dict[int, str] = {
    0: "success (a day not yet published by Enedis is not an error)",
    1: "internal error (a bug: please report it)",
    2: "bad command-line usage",
    ConfigError.exit_code: "bad configuration or off-peak schedule",
    AuthError.exit_code: "consent missing, expired or refused: run `linkyflux auth`",
    UpstreamError.exit_code: "the gateway or Enedis failed or rate-limited us: retry later",
    DataError.exit_code: "the gateway sent data linkyflux cannot read",
    SinkError.exit_code: "InfluxDB (or the output file) refused or could not be reached: "
    "the points wait in the spool for the next run",
    MissingData.exit_code: "a day is still missing 48 h after it ended: see `linkyflux status`",
    Locked.exit_code: "another linkyflux run is using the same state directory",
    BadFile.exit_code: "a file to import is not an Enedis export linkyflux reads "
    "(the other files were imported)",
    StateError.exit_code: "the state directory or a file in it is unusable: the message names "
    "it and what to do",
}

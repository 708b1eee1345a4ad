"""Netatmo's energy meters (Legrand Ecocompteur NLE, Connected Energy Meter NLPC), as
docs/netatmo.md describes them.

- ``tokens``: the token pair in ``<state>/netatmo_tokens.json`` (0600, atomic, versioned);
- ``oauth``: the authorize link, the pasted redirect or code, a pasted pair, and the refresh
  with rotation, each new pair saved before it is used (:class:`TokenKeeper`);
- ``api``: ``homesdata`` → :class:`~linkyflux.models.Circuit`, ``getmeasure`` →
  :class:`~linkyflux.models.CircuitReading` (bucket starts in UTC), error codes, pacing.

Never imports the sinks, the sync engine, the settings or the simulator.
"""

from linkyflux.sources.netatmo.api import ModuleNotFound, NetatmoClient, paced_http
from linkyflux.sources.netatmo.oauth import (
    BadPaste,
    TokenKeeper,
    authorize_url,
    code_from,
    exchange_code,
    from_pair,
    new_state,
)
from linkyflux.sources.netatmo.tokens import NetatmoTokens, NetatmoTokenStore

__all__ = [
    "BadPaste",
    "ModuleNotFound",
    "NetatmoClient",
    "NetatmoTokenStore",
    "NetatmoTokens",
    "TokenKeeper",
    "authorize_url",
    "code_from",
    "exchange_code",
    "from_pair",
    "new_state",
    "paced_http",
]

"""The ways to reach Enedis, one module each, chosen by ``[consent] kind``:

    device-flow       ``proxy``: a Device-Flow-Proxy-Server, ``/device/*`` consent,
                      ``/data/proxy/<Enedis path>``
    conso-api         ``conso_api``: Conso API, a JWT pasted once, ``/api/<type>``
    enedis            ``enedis_direct``: Enedis DataHub directly, ``client_credentials``
    myelectricaldata  ``myelectricaldata``: MyElectricalData v2, an API key, ``/enedis/...``

``base`` holds what they share (the :class:`~linkyflux.sources.gateways.base.Gateway` they
extend); this package only picks one for the settings. Names are imported from the module that
defines them, never from here. A new gateway is one module and one line in :func:`gateway_for`.
"""

from __future__ import annotations

from linkyflux.settings import Settings
from linkyflux.sources.gateways.base import Gateway
from linkyflux.sources.gateways.conso_api import ConsoApiGateway
from linkyflux.sources.gateways.enedis_direct import EnedisGateway
from linkyflux.sources.gateways.myelectricaldata import MyElectricalDataGateway
from linkyflux.sources.gateways.proxy import DeviceFlowGateway

GATEWAYS: tuple[type[Gateway], ...] = (
    DeviceFlowGateway,
    ConsoApiGateway,
    EnedisGateway,
    MyElectricalDataGateway,
)


def gateway_for(settings: Settings) -> Gateway:
    """The gateway ``consent.kind`` names, for these settings."""
    return {g.kind: g for g in GATEWAYS}[settings.consent.kind](settings)


def token_kinds() -> list[str]:
    """The kinds of gateway `linkyflux auth --token` gives a token to."""
    return [g.kind for g in GATEWAYS if g.takes_token]

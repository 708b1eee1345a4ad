"""The device-flow consent proxy (``kind = "device-flow"``): consent by device code, data
through ``/data/proxy/<Enedis path>``, as ``../shared/docs/device-flow-proxy-and-domoticzlinky.md``
§1 (device flow) and §2.2 (proxy to Enedis) describe it.
"""

from __future__ import annotations

import httpx

from linkyflux.sources.auth import DeviceFlow, ProxyAuth
from linkyflux.sources.dialects import Dialect
from linkyflux.sources.gateways.base import Asking, Call, ContractCall, Gateway
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import Pacer
from linkyflux.timeutil import Clock


class DeviceFlowGateway(Gateway):
    kind = "device-flow"
    name = "the consent proxy"

    def request(self, dialect: Dialect, call: Call) -> tuple[str, dict[str, str]]:
        path, params = super().request(dialect, call)
        # The proxy checks usage_point_id against the consent, then passes every parameter
        # on to Enedis (which ignores those it does not know).
        return f"data/proxy/{path}", {**params, "usage_point_id": call.usage_point_id}

    def contract_calls(self, dialect: Dialect, usage_point_id: str) -> list[ContractCall]:
        return [
            call._replace(
                path=f"data/proxy/{call.path}",
                params={**call.params, "usage_point_id": usage_point_id},
            )
            for call in super().contract_calls(dialect, usage_point_id)
        ]

    def authorize(self, ask: Asking) -> Tokens:
        flow = DeviceFlow(ask.client, self.settings.consent.client_id, ask.clock)
        code = flow.start()
        minutes = max(1, round((code.expires_at - ask.clock.now()).total_seconds() / 60))
        ask.echo(f"Open {code.link}")
        ask.echo(f"and confirm the code {code.user_code} within {minutes} minutes.")
        ask.echo("Waiting for your consent on the Enedis page…")
        if ask.on_device_code:
            ask.on_device_code(code)
        return flow.wait(code)

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        return ProxyAuth(store, tokens, self.settings.consent.client_id, clock, pacer)

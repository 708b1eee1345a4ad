"""The simulator: one object that plays every upstream at once, and routes each request to
the one it is for.

Routes: the consent proxy (``/device/…``, ``/auth/…``, ``/_enedis/authorize``,
``/data/proxy/…``: :mod:`~linkyflux.simulator.proxy`), Conso API (``/conso/api/…``:
:mod:`~linkyflux.simulator.conso`), MyElectricalData (``/med/api/…``:
:mod:`~linkyflux.simulator.myelectricaldata`), Enedis direct (``/enedis/…``:
:mod:`~linkyflux.simulator.enedis_direct`), all in front of the same simulated Enedis
(:mod:`~linkyflux.simulator.enedis`), as ``../shared/docs/enedis-api.md`` and
``device-flow-proxy-and-domoticzlinky.md`` describe them; the Tempo day colours of
api-couleur-tempo.fr (``/tempo/api/…``) and RTE (``/rte/…``), from
:mod:`~linkyflux.simulator.tempo`; Netatmo's cloud for the Legrand Ecocompteur
(``/netatmo/oauth2/authorize``, ``/netatmo/oauth2/token``, ``/netatmo/api/homesdata``,
``/netatmo/api/getmeasure``: :mod:`~linkyflux.simulator.netatmo`, held as
``simulator.netatmo``); and the control endpoints ``/_sim/…`` (faults, ground truth, meters,
counters, the clock; Netatmo's under ``/_sim/netatmo/…``: ``generate_token``, ``fault``,
``expire``, ``revoke``, ``truth``, ``stats``). No sockets here: see
:mod:`~linkyflux.simulator.server`.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from linkyflux.simulator import conso, enedis_direct, myelectricaldata, tempo
from linkyflux.simulator.dialects import ENDPOINTS, ENDPOINTS_2026, PARAMS, V5_TWIN
from linkyflux.simulator.netatmo import ENERGY_SCOPE, Netatmo
from linkyflux.simulator.proxy import ConsentProxy
from linkyflux.simulator.reply import NOT_FOUND_PAGE, Reply, html_reply, json_reply
from linkyflux.simulator.synthetic import METERS_BY_ID
from linkyflux.simulator.truth import GroundTruth


class Simulator(ConsentProxy, GroundTruth):
    """The simulated proxy, gateways and Enedis: all state and logic, no sockets (see
    SimulatorServer)."""

    # ----------------------------------------------------------------- Netatmo
    @property
    def netatmo(self) -> Netatmo:
        """The simulated Netatmo cloud, on this simulator's clock (made on first use, so
        that the constructor stays State's)."""
        with self._lock:
            cloud = self.__dict__.get("_netatmo")
            if cloud is None:
                cloud = self.__dict__["_netatmo"] = Netatmo(self.now)
            return cloud

    def netatmo_generate_token(self, scope: str = ENERGY_SCOPE) -> dict[str, Any]:
        """A token pair as Netatmo's developer portal "Generate Token" button gives it."""
        return self.netatmo.generate_token(scope)

    def truth_circuit(self, module_id: str, day: date) -> list[tuple[datetime, int]]:
        """(bucket start UTC, Wh) of every half-hour a Netatmo module measured on a Paris
        day, uploaded or not."""
        return self.netatmo.truth_circuit(module_id, day)

    # ----------------------------------------------------------------- dispatch
    def handle(
        self,
        method: str,
        target: str,
        body: bytes,
        client: str,
        authorization: str | None = None,
        med_format: str | None = None,
    ) -> Reply:
        """Answer one request (``target``: path and query; ``client``: the caller's address),
        as the upstream its path belongs to would."""
        url = urlsplit(target)
        path = url.path
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        with self._lock:
            self.requests.append((method, path, query))
            self.request_times.append(self.now())
        if path.startswith("/_sim/netatmo/"):
            params = {**query, **form}
            if body.lstrip().startswith(b"{"):
                try:
                    params.update({k: str(v) for k, v in json.loads(body).items()})
                except ValueError:
                    return json_reply(400, {"error": "the body is not a JSON object"})
            return self.netatmo.control(method, path.removeprefix("/_sim/netatmo/"), params)
        if path.startswith("/_sim/"):
            return self._control(method, path, query, body)
        if path.startswith("/netatmo/"):
            return self.netatmo.request(
                method, path.removeprefix("/netatmo"), query, form, authorization
            )
        if path == "/device/code" and method == "POST":
            return self._device_code(form)
        if path == "/device/token" and method == "POST":
            return self._device_token(form, client)
        if path == "/device" and method == "GET":
            return self._device_page(query)
        if path == "/auth/verify_code" and method == "GET":
            return self._verify_code(query)
        if path == "/_enedis/authorize":
            return self._enedis_authorize(method, query, form)
        if path == "/auth/redirect" and method == "GET":
            return self._auth_redirect(query)
        if path.startswith("/data/proxy/") and method == "GET":
            return self._data(path.removeprefix("/data/proxy/"), query, client, authorization)
        if path.startswith("/conso/api/") and method == "GET":
            kind = path.removeprefix("/conso/api/")
            return conso.conso_api(self, kind, query, client, authorization)
        if path.startswith("/med/api/") and method == "GET":
            return myelectricaldata.myelectricaldata(
                self, path.removeprefix("/med/api/"), query, authorization, med_format
            )
        if path == "/enedis/oauth2/v3/token" and method == "POST":
            return enedis_direct.enedis_token(self, form)
        if path.startswith("/enedis/") and method == "GET":
            return enedis_direct.enedis_direct(
                self, path.removeprefix("/enedis/"), query, authorization
            )
        if path.startswith(tempo.PREFIXES):
            # the raw query: api-couleur-tempo.fr's filters repeat their keys
            return tempo.tempo_request(self, method, path, url.query, form, authorization)
        return html_reply(404, NOT_FOUND_PAGE)

    # ----------------------------------------------------------------- /_sim control
    def _control(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        """``/_sim/…``: inject faults, read ground truth, the meters, the counters, the clock."""
        if path == "/_sim/faults" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                self.inject(spec["kind"], int(spec.get("count", 1)), spec.get("path_contains", ""))
            except (KeyError, ValueError) as exc:
                return json_reply(400, {"error": str(exc)})
            return json_reply(200, {"ok": True})
        if path == "/_sim/truth" and method == "GET":
            return self._truth(query)
        if path == "/_sim/meters":
            meters = [
                {
                    "usage_point_id": m.usage_point_id,
                    "label": m.label,
                    "directions": list(m.directions),
                    "step_minutes": m.step_minutes,
                    "activation": m.activation.isoformat(),
                }
                for m in METERS_BY_ID.values()
            ]
            return json_reply(200, meters)
        if path == "/_sim/stats":
            return json_reply(
                200, {"requests": len(self.requests), "data_calls": len(self.data_calls())}
            )
        if path == "/_sim/now":
            return json_reply(
                200, {"now": self.now().isoformat(), "today": self.today().isoformat()}
            )
        return json_reply(404, {"error": "unknown control endpoint"})

    # ----------------------------------------------------------------- counting
    def data_calls(self) -> list[tuple[str, dict[str, str]]]:
        """The metering calls received through any gateway, in v5 terms whatever their
        dialect: (``/data/proxy/<v5 path>``, ``{usage_point_id, start, end}``)."""
        out = []
        with self._lock:
            for _, path, query in self.requests:
                if path.startswith("/data/proxy/"):
                    endpoint = path.removeprefix("/data/proxy/")
                elif path.startswith("/conso/api/"):
                    endpoint = conso.CONSO_TYPES.get(path.rsplit("/", 1)[-1], "")
                    if "prm" in query:
                        query = {"usage_point_id": query["prm"], **query}
                elif path.startswith("/enedis/") and not path.startswith("/enedis/oauth2"):
                    endpoint = path.removeprefix("/enedis/")
                elif path.startswith("/med/api/enedis/") and "/contract/" not in path:
                    parts = path.removeprefix("/med/api/enedis/").split("/")
                    data = ("power", "consumption") if parts[0] == "power" else (parts[1], parts[0])
                    endpoint = myelectricaldata.MED_PATHS[data][0]
                    query = {"usage_point_id": parts[-1], **query}
                else:
                    continue
                path = "/data/proxy/" + endpoint
                if endpoint in ENDPOINTS_2026:
                    path = "/data/proxy/" + V5_TWIN[endpoint]
                    names = PARAMS["2026"]
                    query = {
                        "usage_point_id": query.get(names["usage_point"], ""),
                        "start": query.get(names["start"], ""),
                        "end": query.get(names["end"], ""),
                    }
                if path.removeprefix("/data/proxy/") in ENDPOINTS:  # metering calls only
                    out.append((path, query))
        return out

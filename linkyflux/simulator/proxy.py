"""The consent proxy (Device-Flow-Proxy-Server), as DomoticzLinky's users reach it, and
Enedis' consent page behind it.

It follows ``../shared/docs/device-flow-proxy-and-domoticzlinky.md``: ``/device/code``,
``/device/token`` (device and refresh grants), the browser pages ``/device``,
``/auth/verify_code`` and ``/auth/redirect``; the proxy's own opaque tokens (access 12 600 s,
refresh ~4 years, device code 300 s), its 12 requests/minute per device code (polling) and per
client (refresh, data), ``slow_down``, ``authorization_pending``, ``invalid_grant``,
``Access token not found``; and ``/data/proxy/<Enedis path>``, relayed to
:class:`~linkyflux.simulator.enedis.Enedis`. Enedis' authorize page is simulated at
``/_enedis/authorize``; :func:`browser_consent` drives these pages as a user's browser would.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from linkyflux.simulator.enedis import Enedis
from linkyflux.simulator.reply import Reply, error_reply, html_reply, json_reply, redirect
from linkyflux.simulator.synthetic import METERS_BY_ID

ACCESS_EXPIRE = 12600
REFRESH_EXPIRE = 4 * 365 * 24 * 3600
CODE_EXPIRE = 300
PICKUP_EXPIRE = 120
USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class ConsentProxy(Enedis):
    """The proxy's device flow, its tokens and rate limits, in front of Enedis."""

    def _rate_limited(self, key: str) -> bool:
        """At most ``requests_per_minute`` per key within any 60 seconds."""
        return self.rate_exceeded(key, self.requests_per_minute, timedelta(seconds=60))

    def _device_code(self, form: dict[str, str]) -> Reply:
        if not form.get("client_id"):
            return error_reply(400, "invalid_request", "Missing client_id")
        device_code = secrets.token_hex(32)
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        with self._lock:
            self._codes[device_code] = {
                "status": "pending",
                "client_id": form["client_id"],
                "expires": self.now() + timedelta(seconds=CODE_EXPIRE),
            }
            self._user_codes[user_code] = device_code
        return json_reply(
            200,
            {
                "device_code": device_code,
                "user_code": f"{user_code[:4]}-{user_code[4:]}",
                "verification_uri": f"{self.base_url}/device",
                "expires_in": CODE_EXPIRE,
                "interval": round(60 / self.requests_per_minute),
            },
        )

    def _live_code(self, device_code: str) -> dict[str, Any] | None:
        entry = self._codes.get(device_code)
        if entry is None or self.now() >= entry["expires"]:
            self._codes.pop(device_code, None)
            return None
        return entry

    def _device_token(self, form: dict[str, str], client: str) -> Reply:
        grant = form.get("grant_type")
        if not form.get("client_id") or not grant:
            return error_reply(400, "invalid_request", "Missing client_id or grant_type")
        if form["client_id"] != self.client_id:
            return error_reply(400, "invalid_request", "Bad client_id")
        if grant == DEVICE_GRANT:
            return self._device_grant(form)
        if grant == "refresh_token":
            return self._refresh_grant(form, client)
        return error_reply(400, "unsupported_grant_type")

    def _device_grant(self, form: dict[str, str]) -> Reply:
        device_code = form.get("device_code")
        if not device_code:
            return error_reply(400, "invalid_request", "Missing device_code")
        if self._rate_limited(f"device-{device_code}"):
            return error_reply(400, "slow_down")
        with self._lock:
            entry = self._live_code(device_code)
            if entry is None:
                return error_reply(400, "invalid_grant", "device_code not found in db")
            if entry["status"] == "pending":
                return error_reply(400, "authorization_pending")
            del self._codes[device_code]  # single use
            return json_reply(200, entry["token_response"])

    def _refresh_grant(self, form: dict[str, str], client: str) -> Reply:
        points, refresh = form.get("usage_points_id"), form.get("refresh_token")
        if not points:
            return error_reply(400, "invalid_request", "Missing usage_points_id")
        if not refresh:
            return error_reply(400, "invalid_request", "Missing refresh_token")
        if self._rate_limited(f"ip-{client}"):
            return error_reply(400, "slow_down")
        with self._lock:
            known = self._refresh.get(refresh)
            if known is None or self.now() >= known[1]:
                return error_reply(400, "invalid_request", "refresh_token not found in database")
            if ",".join(known[0]) != points:
                return error_reply(
                    400, "invalid_request", "refresh_token not corresponding to usage_points_id"
                )
            access = secrets.token_hex(32)
            self._access[access] = (known[0], self.now() + timedelta(seconds=ACCESS_EXPIRE))
            if self.rotate_refresh_tokens:  # same consent (usage points, end), new token
                del self._refresh[refresh]
                refresh = secrets.token_hex(32)
                self._refresh[refresh] = known
        return json_reply(
            200,
            {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "Bearer",
                "expires_in": ACCESS_EXPIRE,
                "scope": "",
            },
        )

    def _device_page(self, query: dict[str, str]) -> Reply:
        code = query.get("code", "")
        return html_reply(
            200,
            '<form action="/auth/verify_code" method="get">'
            f'<input name="code" value="{code}"><button>Continuer</button></form>',
        )

    def _verify_code(self, query: dict[str, str]) -> Reply:
        code = query.get("code", "").upper().replace("-", "")
        with self._lock:
            device_code = self._user_codes.get(code)
            entry = self._live_code(device_code) if device_code else None
            if device_code is None or entry is None:
                return html_reply(400, "Code non valide")
            state = secrets.token_hex(16)
            self._states[state] = device_code
        params = {
            "response_type": "code",
            "client_id": entry["client_id"],
            "state": state,
            "duration": "P3Y",
        }
        return redirect(f"{self.base_url}/_enedis/authorize?{urlencode(params)}")

    def _enedis_authorize(self, method: str, query: dict[str, str], form: dict[str, str]) -> Reply:
        if method == "GET":
            state = query.get("state", "")
            boxes = "".join(
                f'<label><input type="checkbox" name="usage_point_id" value="{p}" checked>{p} '
                f"({METERS_BY_ID[p].label})</label><br>"
                for p in self.consent
            )
            return html_reply(
                200,
                f'<h1>Enedis (simulated): share your data?</h1><form method="post">'
                f'<input type="hidden" name="state" value="{state}">{boxes}'
                '<button name="decision" value="accept">Accept</button>'
                '<button name="decision" value="refuse">Refuse</button></form>',
            )
        state = form.get("state", "")
        if form.get("decision") != "accept":
            refused = {"error": "access_denied", "error_description": "refused", "state": state}
            return redirect(f"{self.base_url}/auth/redirect?{urlencode(refused)}")
        points = form.get("usage_point_id") or ";".join(self.consent)
        granted = {"code": secrets.token_urlsafe(18), "state": state, "usage_point_id": points}
        return redirect(f"{self.base_url}/auth/redirect?{urlencode(granted)}")

    def _auth_redirect(self, query: dict[str, str]) -> Reply:
        if "error" in query:
            return html_reply(
                400, f"Erreur : {query['error']} – {query.get('error_description', '')}"
            )
        state = query.get("state", "")
        points_raw = query.get("usage_point_id")
        if not points_raw:
            return html_reply(400, "usage_point_id manquant")
        points = tuple(p for p in re.split(r"[;,]", points_raw) if p)
        with self._lock:
            device_code = self._states.pop(state, None)
            entry = self._live_code(device_code) if device_code else None
            if entry is None:
                return html_reply(400, "Code expiré, recommencez depuis votre application")
            access, refresh = secrets.token_hex(32), secrets.token_hex(32)
            now = self.now()
            self._access[access] = (points, now + timedelta(seconds=ACCESS_EXPIRE))
            self._refresh[refresh] = (points, now + timedelta(seconds=REFRESH_EXPIRE))
            entry.update(
                status="complete",
                expires=now + timedelta(seconds=PICKUP_EXPIRE),
                token_response={
                    "access_token": access,
                    "refresh_token": refresh,
                    "token_type": "Bearer",
                    "expires_in": ACCESS_EXPIRE,
                    "usage_points_id": ",".join(points),
                    "scope": "",
                },
            )
        return html_reply(200, "Consentement enregistré, vous pouvez fermer cette page.")

    def _data(
        self, path: str, query: dict[str, str], client: str, authorization: str | None
    ) -> Reply:
        """``/data/proxy/<path>``: the proxy's own checks, then Enedis' answer."""
        if not query.get("usage_point_id"):
            return error_reply(400, "invalid_request", "Missing usage_point_id")
        # The proxy itself: its tokens, its per-client rate limit.
        if not authorization:
            return error_reply(404, "Unauthorized", "Autorization missing")
        with self._lock:
            grant = self._access.get(authorization.removeprefix("Bearer ").strip())
        if grant is None or self.now() >= grant[1]:
            return error_reply(403, "Unauthorized", "Access token not found")
        if query["usage_point_id"] not in grant[0]:
            return error_reply(404, "Unauthorized", "Bad access token")
        if self._rate_limited(f"ip-{client}"):
            return error_reply(400, "slow_down")
        return self.enedis_call(path, query)


def browser_consent(
    base_url: str,
    user_code: str,
    *,
    accept: bool = True,
    usage_points: tuple[str, ...] | None = None,
) -> None:
    """Do what the user does in a browser: open the link, enter the code, accept or refuse."""
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=10) as web:
        web.get("/device", params={"code": user_code}).raise_for_status()
        authorize = web.get("/auth/verify_code", params={"code": user_code})
        if authorize.status_code != 302:
            raise RuntimeError(f"the proxy refused the code: {authorize.text}")
        location = urlsplit(authorize.headers["Location"])
        state = parse_qs(location.query)["state"][0]
        web.get(f"{location.path}?{location.query}").raise_for_status()
        form: dict[str, str] = {"state": state, "decision": "accept" if accept else "refuse"}
        if usage_points is not None:
            form["usage_point_id"] = ";".join(usage_points)
        back = web.post(location.path, data=form)
        done = web.get(back.headers["Location"])
        if accept and done.status_code != 200:
            raise RuntimeError(f"the proxy refused the consent: {done.text}")

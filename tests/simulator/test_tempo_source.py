"""The simulator serves Tempo day colours as api-couleur-tempo.fr and RTE's Tempo Like Supply
Contract API do (``../shared/docs/tempo-and-seasons.md`` §A1.1, §A1.2), from a calendar that
follows RTE's rules (§A2.1)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import holidays
import httpx
import pytest

from linkyflux.simulator.tempo import RTE_CLIENT_ID, RTE_CLIENT_SECRET, colour, season

from simenv import World, world

ONE_DAY = timedelta(days=1)
NOT_FOUND = {
    "@context": "/api/contexts/Error",
    "@type": "hydra:Error",
    "title": "An error occurred",
    "detail": "Not Found",
    "status": 404,
}
CALENDARS = "/rte/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with world(tmp_path) as w:  # Sunday 2026-11-22, 09:00 Paris
        yield w


@pytest.fixture
def http(w: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=w.url) as client:
        yield client


def rte_client(w: World) -> httpx.Client:
    """A client holding an RTE token (asked with HTTP Basic, as hekmon/rtetempo does)."""
    client = httpx.Client(base_url=w.url)
    token = client.post("/rte/token/oauth/", auth=(RTE_CLIENT_ID, RTE_CLIENT_SECRET))
    assert token.status_code == 200, token.text
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client


def calendars(client: httpx.Client, start: str, end: str) -> httpx.Response:
    # httpx encodes the "+" of the offsets as %2B, as the API needs
    return client.get(CALENDARS, params={"start_date": start, "end_date": end})


def item(day: str, code: int, label: str, periode: str = "2026-2027") -> dict[str, Any]:
    return {"dateJour": day, "codeJour": code, "periode": periode, "libCouleur": label}


# ----------------------------------------------------------------- the calendar


@pytest.mark.parametrize("first", [2023, 2024, 2025, 2026])
def test_each_season_follows_rtes_rules(first: int) -> None:
    start, end = date(first, 9, 1), date(first + 1, 9, 1)
    days = [start + n * ONE_DAY for n in range((end - start).days)]
    colours = {d: colour(d) for d in days}
    counts = Counter(colours.values())
    assert counts == {"RED": 22, "WHITE": 43, "BLUE": len(days) - 65}
    assert {season(d) for d in days} == {f"{first}-{first + 1}"}
    public_holidays = holidays.country_holidays("FR", years=(first, first + 1))
    red = sorted(d for d, c in colours.items() if c == "RED")
    white = sorted(d for d, c in colours.items() if c == "WHITE")
    for day in red:
        assert day.weekday() < 5 and day not in public_holidays, day
        assert date(first, 11, 1) <= day <= date(first + 1, 3, 31), day
        assert not all(day + n * ONE_DAY in red for n in range(6)), day  # 5 in a row at most
    assert all(day.weekday() != 6 for day in white)
    # runs of reds and whites, and reds next to whites, as real seasons have
    assert any(day + ONE_DAY in red for day in red)
    assert any(day + ONE_DAY in white for day in white)
    assert any(day + ONE_DAY in white or day - ONE_DAY in white for day in red)


def test_the_calendar_is_the_same_on_every_run() -> None:
    assert [colour(date(2025, 12, d)) for d in (5, 6, 7, 8, 9)] == [
        "WHITE",
        "WHITE",
        "BLUE",
        "RED",
        "RED",
    ]
    assert colour(date(2026, 1, 13)) == "WHITE"


def test_seasons_run_from_september_to_august() -> None:
    assert season(date(2025, 8, 31)) == "2024-2025"
    assert season(date(2025, 9, 1)) == "2025-2026"
    assert season(date(2026, 3, 27)) == "2025-2026"


# ----------------------------------------------------------------- api-couleur-tempo.fr


def test_publication_at_eleven_the_day_before(tmp_path: Path) -> None:
    with (
        world(tmp_path, today=date(2026, 1, 12), hour=10) as w,
        httpx.Client() as http,
        closing(rte_client(w)) as rte,
    ):
        w.clock.advance(59 * 60)  # 10:59
        tomorrow = http.get(f"{w.url}/tempo/api/jourTempo/tomorrow")
        assert tomorrow.json() == item("2026-01-13", 0, "Inconnu", "2025-2026")
        week = calendars(rte, "2026-01-12T00:00:00+01:00", "2026-01-14T00:00:00+01:00")
        assert [v["start_date"] for v in week.json()["tempo_like_calendars"]["values"]] == [
            "2026-01-12T00:00:00+01:00"
        ]
        w.clock.advance(60)  # 11:00
        tomorrow = http.get(f"{w.url}/tempo/api/jourTempo/tomorrow")
        assert tomorrow.json() == item("2026-01-13", 2, "Blanc", "2025-2026")
        week = calendars(rte, "2026-01-12T00:00:00+01:00", "2026-01-14T00:00:00+01:00")
        assert [v["value"] for v in week.json()["tempo_like_calendars"]["values"]] == [
            "WHITE",
            colour(date(2026, 1, 12)),
        ]


def test_one_day(w: World, http: httpx.Client) -> None:
    w.simulator.tempo_overrides[date(2026, 11, 21)] = "RED"  # a test's colour wins
    answers = {
        "2025-12-08": item("2025-12-08", 3, "Rouge", "2025-2026"),
        "yesterday": item("2026-11-21", 3, "Rouge"),
        "today": item("2026-11-22", 1, "Bleu"),
        "tomorrow": item("2026-11-23", 0, "Inconnu"),  # before 11:00
        "2026-11-24": item("2026-11-24", 0, "Inconnu"),  # the row created at 00:01
        "2020-09-01": item("2020-09-01", 1, "Bleu", "2020-2021"),  # the first row
    }
    for key, body in answers.items():
        reply = http.get(f"/tempo/api/jourTempo/{key}")
        assert (reply.status_code, reply.json()) == (200, body), key
        assert reply.headers["content-type"] == "application/json"


MISSING = [
    "/tempo/api/jourTempo/2026-11-25",  # after today+2
    "/tempo/api/jourTempo/2020-08-31",  # before the history
    "/tempo/api/jourTempo/2026-11-10",  # a hole
    "/tempo/api/jourTempo/2026-02-30",
    "/tempo/api/jourTempo/20261110",
    "/tempo/api/jourTempo/now",
    "/tempo/api/jourTempo/",
    "/tempo/api/nothing",
]


def test_what_the_server_does_not_have_is_api_platforms_404(w: World, http: httpx.Client) -> None:
    w.simulator.tempo_holes.add(date(2026, 11, 10))
    for path in MISSING:
        reply = http.get(path)
        assert (reply.status_code, reply.json()) == (404, NOT_FOUND), path
        assert reply.headers["content-type"] == "application/json"


def test_the_collection_and_its_filters(w: World, http: httpx.Client) -> None:
    w.simulator.tempo_holes.add(date(2026, 1, 14))
    days = http.get(
        "/tempo/api/joursTempo?dateJour[]=2026-01-15&dateJour[]=2026-01-13"
        "&dateJour[]=2026-01-14&dateJour%5B%5D=2026-11-24"
    )
    assert days.status_code == 200
    assert days.json() == [  # oldest first, the hole left out, tomorrow+1 still unknown
        item("2026-01-13", 2, "Blanc", "2025-2026"),
        item("2026-01-15", 2, "Blanc", "2025-2026"),
        item("2026-11-24", 0, "Inconnu"),
    ]
    seasons = http.get(
        "/tempo/api/joursTempo", params=[("periode[]", "2024-2025"), ("periode[]", "2023-2024")]
    ).json()
    assert len(seasons) == 366 + 365
    assert [r["dateJour"] for r in seasons[:1] + seasons[-1:]] == ["2023-09-01", "2025-08-31"]
    assert [r["dateJour"] for r in seasons] == sorted(r["dateJour"] for r in seasons)
    reds = http.get("/tempo/api/joursTempo?periode[]=2025-2026&codeJour[]=3").json()
    assert len(reds) == 22 and {r["libCouleur"] for r in reds} == {"Rouge"}
    both = http.get("/tempo/api/joursTempo?codeJour[]=3&codeJour[]=2&periode=2025-2026").json()
    assert Counter(r["codeJour"] for r in both) == {3: 22, 2: 42}  # one white is a hole
    last = http.get("/tempo/api/joursTempo?periode=2023-2024&periode=2024-2025").json()
    assert {r["periode"] for r in last} == {"2024-2025"}  # PHP keeps the last bare value
    everything = http.get("/tempo/api/joursTempo").json()
    assert len(everything) == (date(2026, 11, 24) - date(2020, 9, 1)).days + 1 - 1
    assert everything[0]["dateJour"] == "2020-09-01"
    assert everything[-2:] == [item("2026-11-23", 0, "Inconnu"), item("2026-11-24", 0, "Inconnu")]
    assert w.simulator.tempo_calls[-1] == "/tempo/api/joursTempo"
    assert w.simulator.tempo_calls[0].startswith("/tempo/api/joursTempo?dateJour[]=2026-01-15")


# ----------------------------------------------------------------- RTE


def test_rte_tokens(w: World, http: httpx.Client) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": RTE_CLIENT_ID,
        "client_secret": RTE_CLIENT_SECRET,
    }
    token = http.post("/rte/token/oauth/", data=form)
    assert token.status_code == 200
    assert {k: v for k, v in token.json().items() if k != "access_token"} == {
        "token_type": "Bearer",
        "expires_in": 7200,
    }
    for auth in ((RTE_CLIENT_ID, "wrong"), ("someone", RTE_CLIENT_SECRET)):
        refused = http.post("/rte/token/oauth/", auth=auth)
        assert (refused.status_code, refused.json()) == (
            401,
            {"error": "invalid_client", "error_description": "Client authentication failed"},
        )
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    week = {"start_date": "2026-11-16T00:00:00+01:00", "end_date": "2026-11-23T00:00:00+01:00"}
    assert http.get(CALENDARS, params=week, headers=bearer).status_code == 200
    for headers in ({}, {"Authorization": "Bearer forged"}):
        refused = http.get(CALENDARS, params=week, headers=headers)
        assert (refused.status_code, refused.json()) == (
            401,
            {"error": "invalid_token", "error_description": "Invalid or missing access token"},
        )
    w.clock.advance(7199)
    assert http.get(CALENDARS, params=week, headers=bearer).status_code == 200
    w.clock.advance(1)
    expired = http.get(CALENDARS, params=week, headers=bearer)
    assert (expired.status_code, expired.json()) == (
        401,
        {"error": "invalid_token", "error_description": "Access token expired"},
    )


def test_rte_calendar_newest_first(w: World) -> None:
    for day, value in (("2023-12-02", "WHITE"), ("2023-12-03", "BLUE"), ("2023-12-04", "BLUE")):
        w.simulator.tempo_overrides[date.fromisoformat(day)] = value
    reply = calendars(rte_client(w), "2023-12-02T00:00:00+01:00", "2023-12-05T00:00:00+01:00")
    assert reply.status_code == 200
    assert reply.json() == {  # the real answer of the documentation
        "tempo_like_calendars": {
            "start_date": "2023-12-02T00:00:00+01:00",
            "end_date": "2023-12-05T00:00:00+01:00",
            "values": [
                {
                    "start_date": "2023-12-04T00:00:00+01:00",
                    "end_date": "2023-12-05T00:00:00+01:00",
                    "value": "BLUE",
                    "updated_date": "2023-12-03T10:20:00+01:00",
                },
                {
                    "start_date": "2023-12-03T00:00:00+01:00",
                    "end_date": "2023-12-04T00:00:00+01:00",
                    "value": "BLUE",
                    "updated_date": "2023-12-02T10:20:00+01:00",
                },
                {
                    "start_date": "2023-12-02T00:00:00+01:00",
                    "end_date": "2023-12-03T00:00:00+01:00",
                    "value": "WHITE",
                    "updated_date": "2023-12-01T10:20:00+01:00",
                },
            ],
        }
    }


def test_rte_calendar_leaves_out_holes_and_unknown_days(w: World) -> None:
    w.simulator.tempo_holes.add(date(2026, 11, 21))
    reply = calendars(rte_client(w), "2026-11-20T00:00:00+01:00", "2026-11-24T00:00:00+01:00")
    values = reply.json()["tempo_like_calendars"]["values"]
    assert [(v["start_date"][:10], v["value"]) for v in values] == [
        ("2026-11-22", "BLUE"),
        ("2026-11-20", "WHITE"),
    ]


def test_rte_calendar_across_a_change_of_offset(w: World) -> None:
    # the spring-forward day is 23 hours long: still one calendar day
    values = calendars(
        rte_client(w), "2025-03-30T00:00:00+01:00", "2025-03-31T00:00:00+02:00"
    ).json()["tempo_like_calendars"]["values"]
    assert [(v["start_date"], v["end_date"]) for v in values] == [
        ("2025-03-30T00:00:00+01:00", "2025-03-31T00:00:00+02:00")
    ]


def f0(n: int, description: str) -> dict[str, str]:
    return {"error": f"TMPLIKSUPCON_TMPLIKCAL_F0{n}", "error_description": description}


OFFSET = (
    'The value of "{}" field is incorrect: expected YYYY-MM-DDThh:mm:ss±hh:mm with the offset '
    "of Europe/Paris on that date."
)


REFUSED = [
    # winter is +01:00, summer +02:00
    (
        "2025-01-01T00:00:00+02:00",
        "2025-01-03T00:00:00+01:00",
        f0(6, OFFSET.format("start_date")),
    ),
    (
        "2025-06-01T00:00:00+02:00",
        "2025-06-03T00:00:00+01:00",
        f0(6, OFFSET.format("end_date")),
    ),
    ("2025-01-01T00:00:00Z", "2025-01-03T00:00:00+01:00", f0(6, OFFSET.format("start_date"))),
    ("2025-01-01", "2025-01-03T00:00:00+01:00", f0(6, OFFSET.format("start_date"))),
    (
        "2025-01-03T00:00:00+01:00",
        "2025-01-01T00:00:00+01:00",
        f0(2, 'The value of "start_date" field is after "end_date".'),
    ),
    (
        "2025-01-01T00:00:00+01:00",
        "2025-01-01T12:00:00+01:00",
        f0(5, "The requested period is shorter than one calendar day."),
    ),
    (
        "2025-01-01T00:00:00+01:00",
        "2026-01-03T00:00:00+01:00",
        f0(3, "The requested period is longer than 366 days."),
    ),
    (
        "2026-11-20T00:00:00+01:00",
        "2026-11-25T00:00:00+01:00",
        f0(
            4,
            'The value of "end_date" field is incorrect. '
            "It is not possible to recover data to this term.",
        ),
    ),
]


def test_rte_calendar_errors(w: World) -> None:
    rte = rte_client(w)
    for start, end, error in REFUSED:
        reply = calendars(rte, start, end)
        assert (reply.status_code, reply.json()) == (400, error), (start, end)


def test_rte_calendar_limits(w: World) -> None:
    rte = rte_client(w)
    year = calendars(rte, "2025-01-01T00:00:00+01:00", "2026-01-02T00:00:00+01:00")
    assert len(year.json()["tempo_like_calendars"]["values"]) == 366
    ahead = calendars(rte, "2026-11-20T00:00:00+01:00", "2026-11-24T00:00:00+01:00")
    assert ahead.status_code == 200  # today+2 is as far as one may ask
    # an unencoded "+" arrives as a space
    raw = rte.get(
        f"{CALENDARS}?start_date=2025-01-01T00:00:00+01:00&end_date=2025-01-03T00:00:00%2B01:00"
    )
    assert (raw.status_code, raw.json()) == (400, f0(6, OFFSET.format("start_date")))
    alone = rte.get(CALENDARS, params={"start_date": "2025-01-01T00:00:00+01:00"})
    assert (alone.status_code, alone.json()) == (
        400,
        f0(1, 'The "start_date" and "end_date" fields go together.'),
    )
    latest = rte.get(CALENDARS).json()["tempo_like_calendars"]
    assert (latest["start_date"], latest["end_date"]) == (
        "2026-11-22T00:00:00+01:00",
        "2026-11-23T00:00:00+01:00",
    )
    assert [v["value"] for v in latest["values"]] == ["BLUE"]


# ----------------------------------------------------------------- faults


def test_injected_faults_reach_the_tempo_paths_they_name(w: World, http: httpx.Client) -> None:
    w.simulator.inject("technical_error")  # meant for Enedis: no Tempo path takes it
    assert http.get("/tempo/api/jourTempo/today").status_code == 200
    w.simulator.inject("technical_error", path_contains="/tempo/")
    broken = http.get("/tempo/api/jourTempo/today")
    assert (broken.status_code, broken.json()) == (
        500,
        {**NOT_FOUND, "detail": "Internal Server Error", "status": 500},
    )
    assert http.get("/tempo/api/jourTempo/today").status_code == 200
    w.simulator.inject("unavailable", count=2, path_contains="/rte/")
    assert http.post("/rte/token/oauth/").status_code == 503
    assert http.post("/rte/token/oauth/").status_code == 503
    rte = rte_client(w)
    w.simulator.inject("malformed", path_contains="tempo_like_calendars")
    garbled = calendars(rte, "2026-11-20T00:00:00+01:00", "2026-11-22T00:00:00+01:00")
    assert garbled.status_code == 200
    with pytest.raises(ValueError):
        garbled.json()
    assert w.simulator.faults_served == 4

"""Settings: a TOML file, overridden by ``LINKYFLUX_<SECTION>__<KEY>`` environment variables.

The file is ``--config FILE``, else ``$LINKYFLUX_CONFIG``, else ``config.toml`` in the user
config dir (``$XDG_CONFIG_HOME/linkyflux``, ``~/.config/linkyflux``). Every problem is
reported on its own line naming the key and where its value came from (the file, or the
variable), quoting at most the first 40 characters of a bad value, invisible ones escaped.

Values are checked where they enter: the file is UTF-8 (a BOM is allowed); numbers are finite
and in range (timeouts more than 0 and at most :data:`MAX_SECONDS`, prices from 0 to
:data:`MAX_PER_KWH` per kWh and :data:`MAX_PER_MONTH` per month; true and false are no
numbers); days are from :data:`FIRST_DAY` to :data:`LAST_DAY`; strings hold no control or
invisible character; URLs are http(s) with a host. A ``LINKYFLUX_*`` variable that is no
setting is a warning (never its value), not an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from linkyflux.errors import ConfigError
from linkyflux.models import is_usage_point
from linkyflux.settings_input import ENV_PREFIX, check_environment, problems, read_toml, where
from linkyflux.settings_values import (
    FIRST_DAY,
    LAST_DAY,
    MAX_PER_KWH,
    MAX_PER_MONTH,
    HttpUrl,
    Seconds,
    Secret,
    Text,
    Whole,
    finite,
)
from linkyflux.tariffs.prices import PRICE_NAMES
from linkyflux.tariffs.seasons import Seasons, month_day
from linkyflux.text import excerpt


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentSettings(_Section):
    """How to reach Enedis: the gateway (see sources/gateways/) and its credentials."""

    kind: Literal["device-flow", "conso-api", "myelectricaldata", "enedis"] = "device-flow"
    url: HttpUrl = ""
    client_id: Text = ""
    client_secret: Secret = SecretStr("")  # enedis: the DataHub application's secret
    token: Secret = SecretStr("")  # conso-api: the token, if not given to `linkyflux auth`
    usage_points: list[str] = []  # enedis: the consented usage points
    requests_per_minute: Whole = Field(12, ge=1, le=6000)
    timeout: Seconds = 30.0

    @field_validator("usage_points")
    @classmethod
    def _fourteen_digits(cls, points: list[str]) -> list[str]:
        bad = [f"'{excerpt(p)}'" for p in points if not is_usage_point(p)]
        if bad:
            listed = ", ".join(bad[:3]) + (", …" if len(bad) > 3 else "")
            raise ValueError(
                f"a usage point (PRM) is 14 digits: {listed} {'is' if len(bad) == 1 else 'are'} not"
            )
        return points


class InfluxSettings(_Section):
    api: Literal["v1", "v2"] = "v2"
    url: HttpUrl = "http://localhost:8086"
    token: Secret = SecretStr("")
    org: Text = ""
    bucket: Text = "linky"
    database: Text = "linky"
    username: Text = ""
    password: Secret = SecretStr("")
    retention_policy: Text = ""
    output: Text = ""
    timeout: Seconds = 30.0
    batch_size: Whole = Field(5000, ge=1, le=1_000_000)


class _Dated(_Section):
    """An entry of a dated list, in force from its ``from`` day on (Europe/Paris)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")

    @field_validator("from_")
    @classmethod
    def _in_range(cls, day: date) -> date:
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(f"must be a day from {FIRST_DAY} to {LAST_DAY}")
        return day


class DatedSchedule(_Dated):
    """An off-peak schedule in force from a day on (``[[tariff.schedule]]``)."""

    offpeak: str = ""


ENDED = "none"  # a price set to this ends the one in force before


def _price(most: float, per: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        if value == ENDED:
            return value
        number = None if isinstance(value, str) else finite(value)
        if number is None or not 0 <= number <= most:
            raise ValueError(
                f'a price in euros per {per} from 0 to {most:g}, or "{ENDED}" to end the one before'
            )
        return number

    return check


PriceValue = Annotated[float | Literal["none"] | None, BeforeValidator(_price(MAX_PER_KWH, "kWh"))]
Monthly = Annotated[float | Literal["none"] | None, BeforeValidator(_price(MAX_PER_MONTH, "month"))]


class DatedPrice(_Dated):
    """Prices from a day on (``[[tariff.price]]``): euros per kWh, and per month for the
    subscription. A price not given is the one in force before; ``"none"`` ends it."""

    base: PriceValue = None
    hc: PriceValue = None
    hp: PriceValue = None
    production: PriceValue = None
    subscription: Monthly = None
    blue_hc: PriceValue = None
    blue_hp: PriceValue = None
    white_hc: PriceValue = None
    white_hp: PriceValue = None
    red_hc: PriceValue = None
    red_hp: PriceValue = None

    def changes(self) -> dict[str, float | None]:
        """The prices this entry sets (None: ended), by name."""
        return {
            name: None if value == ENDED else float(value)
            for name in PRICE_NAMES
            if (value := getattr(self, name)) is not None
        }


def describe_price(price: DatedPrice) -> str:
    """``from 2025-02-01: hc 0.1615, hp 0.2146 €/kWh, subscription 15.65 €/month``."""
    changes = price.changes()
    per_kwh = [f"{n} {v:g}" for n, v in changes.items() if n != "subscription" and v is not None]
    parts = [", ".join(per_kwh) + " €/kWh"] if per_kwh else []
    if changes.get("subscription") is not None:
        parts.append(f"subscription {changes['subscription']:g} €/month")
    parts += [f"no {name} price" for name, value in changes.items() if value is None]
    return f"from {price.from_}: " + (", ".join(parts) or "the prices before")


class TariffSettings(_Section):
    offpeak: str = ""
    holiday_subdivision: Text = ""
    # the first days (MM-DD) of the seasons of seasonal schedules ("hiver … été …"): TURPE's
    winter_from: str = "11-01"
    summer_from: str = Field("04-01", validate_default=True)  # compared with winter_from
    schedule: list[DatedSchedule] = []
    price: list[DatedPrice] = []

    @field_validator("winter_from", "summer_from")
    @classmethod
    def _day_of_the_year(cls, value: str, info: ValidationInfo) -> str:
        first = month_day(value)
        winter = info.data.get("winter_from")  # validated before summer_from, if valid
        if info.field_name == "summer_from" and winter and month_day(winter) == first:
            raise ValueError(f"must be another day than tariff.winter_from ({winter!r})")
        return value

    def seasons(self) -> Seasons:
        return Seasons.from_text(self.winter_from, self.summer_from)

    @field_validator("schedule", "price")
    @classmethod
    def _one_per_day(cls, dated: list[_Dated], info: ValidationInfo) -> list[_Dated]:
        days = [entry.from_ for entry in dated]
        for day in days:
            if days.count(day) > 1:
                what = "schedules" if info.field_name == "schedule" else "prices"
                raise ValueError(f"two {what} from {day}")
        return dated


TEMPO_URLS = {
    "api-couleur-tempo": "https://www.api-couleur-tempo.fr/api",
    "rte": "https://digital.iservices.rte-france.com",
}


class TempoSettings(_Section):
    """Where the Tempo day colours come from (``tariff.offpeak = "TEMPO"``)."""

    source: Literal["api-couleur-tempo", "rte"] = "api-couleur-tempo"
    url: HttpUrl = ""  # empty: the source's own
    client_id: Text = ""  # rte: the data.rte-france.com application's
    client_secret: Secret = SecretStr("")
    timeout: Seconds = 30.0

    @model_validator(mode="after")
    def _rte_needs_an_application(self) -> TempoSettings:
        if self.source == "rte" and not (self.client_id and self.client_secret.get_secret_value()):
            raise ValueError(
                'source = "rte" needs client_id and client_secret (a data.rte-france.com '
                "application's)"
            )
        return self

    def source_url(self) -> str:
        return self.url or TEMPO_URLS[self.source]


NETATMO_URL = "https://api.netatmo.com"


class NetatmoSettings(_Section):
    """A second source: Legrand Ecocompteur / Drivia circuits through Netatmo's API."""

    client_id: Text = ""
    client_secret: Secret = SecretStr("")
    url: HttpUrl = ""  # empty: Netatmo's own
    redirect_uri: HttpUrl = "http://localhost/"
    usage_point: Text = ""  # the Linky meter its homes hang off; empty: the only one
    homes: dict[str, Text] = {}  # a home id -> the Linky meter it hangs off, when they differ
    window_hours: Annotated[Whole, Field(ge=24, le=240)] = 48
    timeout: Seconds = 30.0

    @property
    def enabled(self) -> bool:
        return bool(self.client_id)

    @model_validator(mode="after")
    def _an_app_has_both(self) -> NetatmoSettings:
        if self.client_id and not self.client_secret.get_secret_value():
            raise ValueError("client_id needs client_secret (the dev.netatmo.com app's)")
        for name, point in (("usage_point", self.usage_point), *self.homes.items()):
            if point and not is_usage_point(point):
                raise ValueError(
                    f"{excerpt(name)}: {excerpt(point)!r} is not a usage point (14 digits)"
                )
        return self

    def api_url(self) -> str:
        return self.url or NETATMO_URL


class EnedisSettings(_Section):
    """Which dialect of the Enedis metering API to speak (see dialects.py)."""

    api: Literal["auto", "v5", "2026"] = "auto"


class StateSettings(_Section):
    dir: Text = ""

    @field_validator("dir")
    @classmethod
    def _home_known(cls, value: str) -> str:
        if value.startswith("~"):
            try:
                Path(value).expanduser()
            except RuntimeError:
                user = value.split("/", 1)[0]
                raise ValueError(
                    f"{excerpt(user)} is not a user of this machine: write the whole path"
                    if user != "~"
                    else "the home directory is unknown (HOME is not set): write the whole path"
                ) from None
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    consent: ConsentSettings = ConsentSettings()
    influxdb: InfluxSettings = InfluxSettings()
    enedis: EnedisSettings = EnedisSettings()
    tariff: TariffSettings = TariffSettings()
    tempo: TempoSettings = TempoSettings()
    netatmo: NetatmoSettings = NetatmoSettings()
    state: StateSettings = StateSettings()

    # Where the values came from, for messages; not a setting.
    _source: str = PrivateAttr("the environment")

    @property
    def source(self) -> str:
        return self._source

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, InitSettingsSource(settings_cls, cls._file()))

    @classmethod
    def _file(cls) -> dict[str, Any]:
        """The config file's content, as :func:`load_settings` read it."""
        return {}

    def state_dir(self) -> Path:
        if self.state.dir:
            return Path(self.state.dir).expanduser()
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "linkyflux"


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "linkyflux" / "config.toml"


def config_path(option: str | None) -> tuple[Path, bool]:
    """The config file to read and whether it must exist (it must, when named explicitly)."""
    if option:
        return Path(option), True
    env = os.environ.get(f"{ENV_PREFIX}CONFIG")
    if env:
        return Path(env), True
    return default_config_path(), False


def load_settings(option: str | None = None, warn: Callable[[str], None] | None = None) -> Settings:
    """The settings from the config file (see :func:`config_path`) and the environment;
    ``warn`` is told of every ``LINKYFLUX_*`` variable that is no setting."""
    path, required = config_path(option)
    check_environment(_names(), warn or (lambda _: None))
    try:
        exists = path.exists()
    except OSError as exc:  # a name too long
        raise ConfigError(f"{excerpt(str(path), 80)}: cannot read: {exc.strerror}") from None
    if not exists and required:
        raise ConfigError(f"{path}: no such config file")
    data = read_toml(path) if exists else {}

    class _FromFile(Settings):
        @classmethod
        def _file(cls) -> dict[str, Any]:
            return data

    try:
        loaded = _FromFile()
    except ValidationError as exc:
        raise ConfigError("\n".join(problems(exc, path))) from None
    except SettingsError as exc:  # after _check_environment, not expected
        field = re.search(r'field "(\w+)"', str(exc))
        name = ENV_PREFIX + (field[1].upper() if field else "*")
        raise ConfigError(f"{name}: cannot be read: see config.example.toml") from None
    settings = Settings.model_construct(**{k: getattr(loaded, k) for k in Settings.model_fields})
    settings._source = str(path) if exists else "the environment"
    _check_schedule(settings)
    return settings


def _names() -> list[str]:
    """Every setting's variable name without the prefix: ``CONSENT``, ``CONSENT__URL``…"""
    names = []
    for section, field in Settings.model_fields.items():
        model: type[BaseModel] = field.annotation  # type: ignore[assignment]
        names += [section.upper(), *(f"{section}__{key}".upper() for key in model.model_fields)]
    return names


def _check_schedule(settings: Settings) -> None:
    from linkyflux.tariffs.grammar import parse_offpeak
    from linkyflux.tariffs.schedule import ScheduleError

    subdivision = settings.tariff.holiday_subdivision or None
    seasons = settings.tariff.seasons()
    for key, text in (("holiday_subdivision", ""), ("offpeak", settings.tariff.offpeak)):
        try:
            parse_offpeak(text, holiday_subdivision=subdivision, seasons=seasons)
        except ScheduleError as exc:
            raise ConfigError(
                f"{where(settings.source, 'tariff', key)}: tariff.{key}: {exc}"
            ) from None
    for n, dated in enumerate(settings.tariff.schedule, 1):
        try:
            parse_offpeak(dated.offpeak, holiday_subdivision=subdivision, seasons=seasons)
        except ScheduleError as exc:
            place = where(settings.source, "tariff", "schedule", n - 1, "offpeak")
            raise ConfigError(
                f"{place}: tariff.schedule #{n} (from {dated.from_}): offpeak: {exc}"
            ) from None

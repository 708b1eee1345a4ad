"""Settings: a TOML file, overridden by ``LINKYFLUX_<SECTION>__<KEY>`` environment variables.

The file is ``--config FILE``, else ``$LINKYFLUX_CONFIG``, else ``config.toml`` in the user
config dir (``$XDG_CONFIG_HOME/linkyflux``, ``~/.config/linkyflux``). Every problem is
reported on its own line naming the key and where its value came from.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

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
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from linkyflux.errors import ConfigError
from linkyflux.tariffs.prices import PRICE_NAMES
from linkyflux.tariffs.seasons import Seasons, month_day

ENV_PREFIX = "LINKYFLUX_"
SECRET_KEYS = ("token", "password", "secret")


def _http_url(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentSettings(_Section):
    """How to reach Enedis: the gateway (see sources/gateways/) and its credentials."""

    kind: Literal["device-flow", "conso-api", "myelectricaldata", "enedis"] = "device-flow"
    url: str = ""
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")  # enedis: the DataHub application's secret
    token: SecretStr = SecretStr("")  # conso-api: the token, if not given to `linkyflux auth`
    usage_points: list[str] = []  # enedis: the consented usage points
    requests_per_minute: int = Field(12, ge=1, le=6000)
    timeout: float = Field(30.0, gt=0)

    _url = field_validator("url")(_http_url)


class InfluxSettings(_Section):
    api: Literal["v1", "v2"] = "v2"
    url: str = "http://localhost:8086"
    token: SecretStr = SecretStr("")
    org: str = ""
    bucket: str = "linky"
    database: str = "linky"
    username: str = ""
    password: SecretStr = SecretStr("")
    retention_policy: str = ""
    output: str = ""
    timeout: float = Field(30.0, gt=0)
    batch_size: int = Field(5000, ge=1)

    _url = field_validator("url")(_http_url)


class _Dated(_Section):
    """An entry of a dated list, in force from its ``from`` day on (Europe/Paris)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")


class DatedSchedule(_Dated):
    """An off-peak schedule in force from a day on (``[[tariff.schedule]]``)."""

    offpeak: str = ""


ENDED = "none"  # a price set to this ends the one in force before


def _price(value: object) -> object:
    if value == ENDED or (
        isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    ):
        return value
    raise ValueError(f'a price in euros, or "{ENDED}" to end the one before')


PriceValue = Annotated[float | Literal["none"] | None, BeforeValidator(_price)]


class DatedPrice(_Dated):
    """Prices from a day on (``[[tariff.price]]``): euros per kWh, and per month for the
    subscription. A price not given is the one in force before; ``"none"`` ends it."""

    base: PriceValue = None
    hc: PriceValue = None
    hp: PriceValue = None
    production: PriceValue = None
    subscription: PriceValue = None
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
    holiday_subdivision: str = ""
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

    @field_validator("price")
    @classmethod
    def _one_price_per_day(cls, prices: list[DatedPrice]) -> list[DatedPrice]:
        days = [p.from_ for p in prices]
        for day in days:
            if days.count(day) > 1:
                raise ValueError(f"two prices from {day}")
        return prices


TEMPO_URLS = {
    "api-couleur-tempo": "https://www.api-couleur-tempo.fr/api",
    "rte": "https://digital.iservices.rte-france.com",
}


class TempoSettings(_Section):
    """Where the Tempo day colours come from (``tariff.offpeak = "TEMPO"``)."""

    source: Literal["api-couleur-tempo", "rte"] = "api-couleur-tempo"
    url: str = ""  # empty: the source's own
    client_id: str = ""  # rte: the data.rte-france.com application's
    client_secret: SecretStr = SecretStr("")
    timeout: float = Field(30.0, gt=0)

    _url = field_validator("url")(_http_url)

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


class EnedisSettings(_Section):
    """Which dialect of the Enedis metering API to speak (see dialects.py)."""

    api: Literal["auto", "v5", "2026"] = "auto"


class StateSettings(_Section):
    dir: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    consent: ConsentSettings = ConsentSettings()
    influxdb: InfluxSettings = InfluxSettings()
    enedis: EnedisSettings = EnedisSettings()
    tariff: TariffSettings = TariffSettings()
    tempo: TempoSettings = TempoSettings()
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
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

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


def load_settings(option: str | None = None) -> Settings:
    path, required = config_path(option)
    toml_file: Path | None = None
    if path.exists():
        toml_file = path
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    elif required:
        raise ConfigError(f"{path}: no such config file")

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=toml_file)

    try:
        loaded = _FromFile()
    except ValidationError as exc:
        raise ConfigError("\n".join(_problems(exc, path))) from None
    settings = Settings.model_construct(**{k: getattr(loaded, k) for k in Settings.model_fields})
    settings._source = str(path) if toml_file else "the environment"
    _check_schedule(settings)
    return settings


def _problems(exc: ValidationError, path: Path) -> list[str]:
    """One line per problem: where the value came from, the key, what is wrong with it."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc)
        where = _where(str(path), *loc)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif not any(secret in key for secret in SECRET_KEYS) and not isinstance(
            error["input"], list | dict
        ):
            message = f"{message} (got {error['input']!r})"
        lines.append(f"{where}: {key}: {message}")
    return lines


def _where(source: str, *loc: str) -> str:
    """Where a key's value came from: its environment variable if set, else ``source``."""
    env = ENV_PREFIX + "__".join(loc).upper()
    return env if env in {name.upper() for name in os.environ} else source


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
                f"{_where(settings.source, 'tariff', key)}: tariff.{key}: {exc}"
            ) from None
    for n, dated in enumerate(settings.tariff.schedule, 1):
        try:
            parse_offpeak(dated.offpeak, holiday_subdivision=subdivision, seasons=seasons)
        except ScheduleError as exc:
            raise ConfigError(
                f"{settings.source}: tariff.schedule #{n} (from {dated.from_}): offpeak: {exc}"
            ) from None

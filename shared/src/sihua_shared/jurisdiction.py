"""The jurisdiction as configuration data: city, districts, pilot sectors, platform categories, titles, policies.

Guangzhou is the default; another city (Zhongshan ships as the example) is a YAML file next to
``guangzhou.yaml`` in ``jurisdictions/``, with no code change. Codes are lower-case snake_case and
are what code, APIs and events carry; ``name_zh`` is what people read.

Every list is validated when loaded: codes unique, a pilot sector's districts are districts of the
jurisdiction, the time zone exists, the title-number format renders. A broken file fails at start-up,
not on the first request that touches it.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

DEFAULT_JURISDICTION = "guangzhou"
JURISDICTIONS_DIR = Path(__file__).resolve().parent / "jurisdictions"

Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# Codes whose list is the configured jurisdiction's: the OpenAPI document turns the mark into an enumeration of
# them when the app is built (sihua_shared.openapi), so a client sees Guangzhou's districts, or Zhongshan's.
CODE_LIST_MARK = "x-jurisdiction-codes"
DistrictCode = Annotated[Code, Field(json_schema_extra={CODE_LIST_MARK: "districts"})]
SectorCode = Annotated[Code, Field(json_schema_extra={CODE_LIST_MARK: "pilot_sectors"})]
CategoryCode = Annotated[Code, Field(json_schema_extra={CODE_LIST_MARK: "platform_categories"})]
# A kind of title (and of the call that grants it): a key of the jurisdiction's ``titles``, e.g. key_platform,
# digital_workshop (Guangzhou) or demonstration_factory (Zhongshan).
TitleKindCode = Annotated[Code, Field(json_schema_extra={CODE_LIST_MARK: "titles"})]
TITLE_KIND_MAX = 50  # title.granted carries the kind, and the consumers' read models store up to 50 characters


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class District(_Frozen):
    """A district (区) — or, where the city has none, a town or subdistrict (镇街)."""

    code: Code
    name_zh: str = Field(min_length=1)
    admin_code: str | None = Field(default=None, pattern=r"^\d{6}(\d{3})?$", description="GB/T 2260 行政区划代码")


class PilotSector(_Frozen):
    """A sector of the SME pilot (S2 一, 三(二)), with the districts where it is carried out (empty: citywide)."""

    code: Code
    name_zh: str = Field(min_length=1)
    districts: tuple[Code, ...] = ()
    source: str = ""


class PlatformCategory(_Frozen):
    """A category of platform open to the call (S0 二(一))."""

    code: Code
    name_zh: str = Field(min_length=1)
    source: str = ""


class TitleConfig(_Frozen):
    """A title the jurisdiction grants, e.g. 广州市四化赋能重点平台."""

    name_zh: str = Field(min_length=1)
    number_code: str = Field(pattern=r"^[A-Z]{1,6}$", description="the kind's part of the title number, e.g. KP")
    validity_months: int | None = Field(default=None, ge=1, description="None: valid until revoked")
    annual_quota: int | None = Field(default=None, ge=1, description="most titles granted per year, where a policy caps it")
    holders: tuple[Code, ...] = Field(default=(), description="the kinds of organisation that may hold it (and apply for it); "
                                                              "empty: any kind")
    requires_title: Code | None = Field(
        default=None, description="a title the applicant must hold, valid, to apply and to be granted this one "
                                  "(e.g. 优秀数字化牵引单位 only among traction units)")
    call_category: Literal["none", "required"] = Field(
        default="none", description="whether a call of this kind names one of the platform categories")
    call_sector: Literal["none", "optional", "required"] = Field(
        default="none", description="whether a call of this kind names one of the pilot sectors")
    source: str = ""


class ProgrammePeriod(_Frozen):
    """The period the programme runs (S2: 2024—2026): a title comes into force within it (``starts_on`` None: unstated)."""

    starts_on: date | None = None
    ends_on: date
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> ProgrammePeriod:
        if self.starts_on is not None and self.starts_on > self.ends_on:
            raise ValueError("programme_period: starts_on is after ends_on")
        return self

    def contains(self, day: date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and day <= self.ends_on


class MoneyCap(_Frozen):
    """An upper bound on an amount, in fen, with the clause that sets it (e.g. 20万元 a diagnosis project, S0 三(三))."""

    amount_fen: int = Field(ge=0)
    source: str = ""


class PolicyDocument(_Frozen):
    """A policy the jurisdiction's rules come from, with its period of validity."""

    code: Code
    document_number: str = ""
    title_zh: str = Field(min_length=1)
    valid_until: date | None = None


class ProgrammeTarget(_Frozen):
    """A number the programme commits to, e.g. 710 SMEs at 二级 or above by the end of 2026 (S2 二)."""

    code: Code
    name_zh: str = Field(min_length=1)
    value: int = Field(ge=1)
    due: date | None = None
    source: str = ""


class Jurisdiction(_Frozen):
    """Everything that makes the system Guangzhou's (or another city's) rather than code."""

    code: Code
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    admin_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 code of the city")
    time_zone: str = "Asia/Shanghai"
    district_label_zh: str = "区"
    districts: tuple[District, ...] = Field(min_length=1)
    pilot_sectors: tuple[PilotSector, ...] = ()
    platform_categories: tuple[PlatformCategory, ...] = Field(min_length=1)
    titles: dict[Code, TitleConfig] = Field(min_length=1)
    title_number_prefix: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    title_number_format: str = "{prefix}-{code}-{year}-{seq:04d}"
    publicity_working_days: int = Field(default=5, ge=1, le=60)
    programme_period: ProgrammePeriod | None = None
    diagnosis_fee_cap: MoneyCap | None = None
    policies: tuple[PolicyDocument, ...] = ()
    targets: tuple[ProgrammeTarget, ...] = ()

    @field_validator("time_zone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("title_number_format")
    @classmethod
    def _format_renders(cls, value: str) -> str:
        try:
            value.format(prefix="X", code="KP", year=2026, seq=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"title_number_format must use only {{prefix}}, {{code}}, {{year}}, {{seq}}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Jurisdiction:
        for name, codes in (
            ("districts", [d.code for d in self.districts]),
            ("pilot_sectors", [s.code for s in self.pilot_sectors]),
            ("platform_categories", [c.code for c in self.platform_categories]),
            ("policies", [p.code for p in self.policies]),
            ("title number codes", [t.number_code for t in self.titles.values()]),
        ):
            duplicates = sorted({c for c in codes if codes.count(c) > 1})
            if duplicates:
                raise ValueError(f"{name}: duplicate codes {duplicates}")
        for kind, title in self.titles.items():
            if len(kind) > TITLE_KIND_MAX:
                raise ValueError(f"title kind {kind!r} is longer than {TITLE_KIND_MAX} characters (facts and read models carry it)")
            if title.requires_title is not None and title.requires_title not in self.titles:
                raise ValueError(f"title {kind!r} requires unknown title {title.requires_title!r}")
            if title.requires_title == kind:
                raise ValueError(f"title {kind!r} cannot require itself")
            if title.call_category == "required" and not self.platform_categories:
                raise ValueError(f"title {kind!r} needs a platform category, and none is configured")
            if title.call_sector == "required" and not self.pilot_sectors:
                raise ValueError(f"title {kind!r} needs a pilot sector, and none is configured")
        known = {d.code for d in self.districts}
        for sector in self.pilot_sectors:
            unknown = [d for d in sector.districts if d not in known]
            if unknown:
                raise ValueError(f"pilot sector {sector.code!r} names unknown districts {unknown}")
        return self

    # ---- look-ups ------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def district(self, code: str) -> District | None:
        return next((d for d in self.districts if d.code == code), None)

    def pilot_sector(self, code: str) -> PilotSector | None:
        return next((s for s in self.pilot_sectors if s.code == code), None)

    def platform_category(self, code: str) -> PlatformCategory | None:
        return next((c for c in self.platform_categories if c.code == code), None)

    def title(self, kind: str) -> TitleConfig | None:
        return self.titles.get(kind)

    def policy(self, code: str) -> PolicyDocument | None:
        return next((p for p in self.policies if p.code == code), None)

    def target(self, code: str) -> ProgrammeTarget | None:
        return next((t for t in self.targets if t.code == code), None)

    def sectors_in_district(self, district: str) -> list[PilotSector]:
        """Pilot sectors carried out in ``district`` (a citywide sector counts everywhere)."""
        return [s for s in self.pilot_sectors if not s.districts or district in s.districts]


def jurisdiction_path(code: str, directory: Path | None = None) -> Path:
    """Where the YAML of ``code`` lives; the code must be a plain identifier (no path tricks)."""
    if not _CODE_RE.fullmatch(code):
        raise ValueError(f"jurisdiction code must be lower-case snake_case, got {code!r}")
    return (directory or JURISDICTIONS_DIR) / f"{code}.yaml"


def parse_jurisdiction(data: Any) -> Jurisdiction:
    """A ``Jurisdiction`` from already-loaded YAML/JSON data (raises ``pydantic.ValidationError``)."""
    return Jurisdiction.model_validate(data)


@lru_cache(maxsize=16)
def _load_file(path: Path, mtime_ns: int) -> Jurisdiction:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return parse_jurisdiction(data)


def load_jurisdiction(code: str | None = None, path: Path | None = None) -> Jurisdiction:
    """Load a jurisdiction: from ``path`` when given, else ``jurisdictions/<code>.yaml`` (default: Guangzhou).

    When both are given, the file's own ``code`` must equal ``code``. Results are cached per file and
    modification time, so repeated calls are cheap and an edited file is picked up.
    """
    file = path if path is not None else jurisdiction_path(code or DEFAULT_JURISDICTION)
    if not file.is_file():
        raise FileNotFoundError(f"no jurisdiction file at {file}")
    loaded = _load_file(file.resolve(), file.stat().st_mtime_ns)
    if code is not None and loaded.code != code:
        raise ValueError(f"{file} defines jurisdiction {loaded.code!r}, not {code!r}")
    return loaded


def available_jurisdictions(directory: Path | None = None) -> list[str]:
    """Codes of the jurisdictions shipped (or present in ``directory``)."""
    folder = directory or JURISDICTIONS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml") if _CODE_RE.fullmatch(p.stem))

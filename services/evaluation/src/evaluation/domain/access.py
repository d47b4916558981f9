"""Evaluation's access policy: who may see or change which cycles, results, surveys, samples, findings and training.

Each function answers a ``Scope`` over a resource's attributes (``provider``, ``enterprise``, ``organiser``);
the application layer decides one resource with ``Scope.admits`` and lists with ``sihua_shared.access_sql.where``.
Pure: no framework, no database.

- Providers (key platforms, traction units) see their own results and the aggregates of their surveys, never who
  answered what; they submit the values of their submitted indicators and appeal their own proposed verdict.
- Enterprises answer their own surveys, once, and complain about a provider that served them; a provider sees the
  counts of complaints about itself, never who complained; a city officer upholds or dismisses a complaint.
- The third-party organisation (第三方综合服务机构) records audit findings with evidence and submits the values the
  model gives it (complaints), and sees the samples and results it audits.
- City officers run cycles (open, progress checks, samples, notices, re-checks, verdicts) and decide appeals — a
  different officer from the one who proposed the verdict. Auditors read everything; district officers read the
  programme KPIs of their district.
"""

from __future__ import annotations

from sihua_shared.access import EVERYTHING, NOTHING, SEE_ALL, Scope, any_of, overseen
from sihua_shared.actor import Actor

PROVIDER = "provider"
ENTERPRISE = "enterprise"
ORGANISER = "organiser"

# Roles admitted to operations (the route's first gate; the scopes below then pick the rows).
RUNNERS = ("city_officer",)
READERS = ("provider", "third_party", "city_officer", "auditor", "district_officer")
RESULT_READERS = ("provider", "third_party", "city_officer", "auditor")
APPELLANTS = ("provider",)
SUBMITTERS = ("provider", "third_party")
AUDITORS_3P = ("third_party",)
SAMPLE_READERS = ("third_party", "city_officer", "auditor")
FINDING_READERS = ("provider", "third_party", "city_officer", "auditor")
SURVEY_TAKERS = ("enterprise",)
AGGREGATE_READERS = ("provider", "city_officer", "auditor")
TRAINERS = ("third_party", "provider")
TRAINING_READERS = ("third_party", "provider", "city_officer", "district_officer", "auditor")
COMPLAINANTS = ("enterprise",)
COMPLAINT_READERS = ("enterprise", "city_officer", "district_officer", "auditor")
COMPLAINT_DECIDERS = ("city_officer",)
COMPLAINT_COUNT_READERS = ("provider", "city_officer", "auditor")
KPI_READERS = ("city_officer", "district_officer", "auditor")
# Below this many answers a provider sees no satisfaction figures at all, so no single answer can be inferred.
MIN_ANSWERS_SHOWN_TO_PROVIDER = 3


def results(actor: Actor) -> Scope:
    """A provider its own results; the third party, city officers and auditors every one."""
    everyone = EVERYTHING if actor.has(*SEE_ALL, "third_party") else NOTHING
    own = Scope.where(provider=actor.org) if actor.has("provider") else NOTHING
    return any_of(everyone, own)


def appellants(actor: Actor) -> Scope:
    """Only the provider a result is about appeals it."""
    return Scope.where(provider=actor.org) if actor.has("provider") else NOTHING


def findings(actor: Actor) -> Scope:
    return results(actor)


def submitters(actor: Actor, submitted_by: str) -> Scope:
    """A provider-submitted value comes from that provider; a third-party one from the third party for any provider."""
    if submitted_by == "third_party":
        return EVERYTHING if actor.has("third_party") and actor.org else NOTHING
    return Scope.where(provider=actor.org) if actor.has("provider") else NOTHING


def surveys(actor: Actor) -> Scope:
    """An enterprise its own surveys; nobody else sees a survey (providers see aggregates only)."""
    return Scope.where(enterprise=actor.org) if actor.has("enterprise") else NOTHING


def aggregates(actor: Actor) -> Scope:
    """A provider its own aggregates; city officers and auditors every provider's."""
    everyone = EVERYTHING if actor.has(*SEE_ALL) else NOTHING
    own = Scope.where(provider=actor.org) if actor.has("provider") else NOTHING
    return any_of(everyone, own)


def complaints(actor: Actor) -> Scope:
    """An enterprise its own complaints; city officers and auditors every one, a district officer those of its
    district's enterprises. A provider never sees a complaint (counts only: ``aggregates``)."""
    mine = Scope.where(enterprise=actor.org) if actor.has("enterprise") and actor.org else NOTHING
    return any_of(mine, overseen(actor))


def sees_every_answer_count(actor: Actor) -> bool:
    """Officials see satisfaction figures at any count; a provider only from MIN_ANSWERS_SHOWN_TO_PROVIDER up."""
    return actor.has(*SEE_ALL)


def training(actor: Actor) -> Scope:
    """Organisers their own programmes; officials (a district officer too) and auditors every one."""
    officials = EVERYTHING if actor.has(*SEE_ALL, "district_officer") else NOTHING
    own = Scope.where(organiser=actor.org) if actor.has(*TRAINERS) else NOTHING
    return any_of(officials, own)


def organisers(actor: Actor) -> Scope:
    """Only the organiser records sessions of its programme."""
    return Scope.where(organiser=actor.org) if actor.has(*TRAINERS) else NOTHING


def programme(actor: Actor) -> Scope:
    """Programme KPIs: the city for city officers and auditors, a district officer their district."""
    return overseen(actor)


def programme_district(actor: Actor) -> str | None:
    return None if actor.has(*SEE_ALL) else actor.district

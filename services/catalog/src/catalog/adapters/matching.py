"""Tables of 精准匹配 (matching), group purchase and ratings, beside the catalog's own (same metadata; revision
matching_0001): the read models matching needs — the systems an organisation says it runs (registry
``organisation.updated``), the consents enterprises gave providers (diagnosis ``consent.granted/revoked``) — the
adopters of products, and the recommendations issued per assessment."""

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Index, Integer, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

organisation_systems = Table(
    "organisation_systems",
    metadata,
    Column("organisation_id", String(100), primary_key=True),
    Column("systems", JSONB, nullable=False),  # upper-case codes (ERP, MES, ...)
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

consents = Table(
    "consents",
    metadata,
    Column("consent_id", String(100), primary_key=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("organisation_id", String(100), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# An enterprise adopted a product version: a delivered group purchase, or a contract line of a funded project.
adoptions = Table(
    "adoptions",
    metadata,
    Column("enterprise_id", String(100), primary_key=True),
    Column("product_id", String(36), primary_key=True),
    Column("product_version", Integer, primary_key=True),
    Column("sector", String(50)),
    Column("source", String(30), nullable=False),  # group_purchase, contract (funding's project)
    Column("source_id", String(100), nullable=False),  # the group purchase, or the project
    Column("adopted_on", Date, nullable=False),
    Index("ix_adoptions_product_sector", "product_id", "sector"),
)

# One set per counting assessment; the enterprise's current set is the newest not superseded.
recommendation_sets = Table(
    "recommendation_sets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("assessment_id", String(100), nullable=False, unique=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("edition_id", String(50), nullable=False),
    Column("stage", String(30), nullable=False),
    Column("level", Integer, nullable=False),
    Column("weakest_scenes", JSONB, nullable=False),
    Column("rules", String(50), nullable=False),
    Column("assessed_at", DateTime(timezone=True), nullable=False),  # the completed fact's time: a later one supersedes
    Column("superseded_by", String(36)),
    Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

recommendations = Table(
    "recommendations",
    metadata,
    Column("set_id", String(36), primary_key=True),
    Column("rank", Integer, primary_key=True),
    Column("product_id", String(36), nullable=False),
    Column("product_version", Integer, nullable=False),
    Column("catalogue_number", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("scenes", JSONB, nullable=False),
    Column("constrained_scenes", JSONB, nullable=False),
    Column("systems", JSONB, nullable=False),
    Column("sector_adopters", Integer, nullable=False),
    Column("min_price_fen", BigInteger),
    Column("explanation", Text, nullable=False),
)

# ---- 集中采购 (group purchase), revision matching_0002 ---------------------------------------------------

# The registry's cluster memberships (特色产业集群): which enterprises may enrol in a cluster body's purchases.
cluster_members = Table(
    "cluster_members",
    metadata,
    Column("membership_id", String(100), primary_key=True),
    Column("cluster_body_id", String(100), nullable=False, index=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("district", String(50)),
    Column("removed", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

group_purchases = Table(
    "group_purchases",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cluster_body_id", String(100), nullable=False, index=True),
    Column("district", String(50)),
    Column("product_id", String(36), nullable=False, index=True),
    Column("product_version", Integer, nullable=False),
    Column("provider_id", String(100), nullable=False),
    Column("package_code", String(50), nullable=False),
    Column("catalogue_price_fen", BigInteger, nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("places", Integer, nullable=False),
    Column("opens_on", Date, nullable=False),
    Column("closes_on", Date, nullable=False),
    Column("title", String(200), nullable=False),
    Column("state", String(20), nullable=False),  # domain.group_purchase.State
    Column("closed_on", Date),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("version", Integer, nullable=False),
)

group_purchase_enrolments = Table(
    "group_purchase_enrolments",
    metadata,
    Column("group_purchase_id", String(36), primary_key=True),
    Column("enterprise_id", String(100), primary_key=True),
    Column("enrolled_on", Date, nullable=False),
    Column("enrolled_by", String(100), nullable=False),
    Column("delivered_on", Date),
    Column("delivery_note", Text),
    Column("delivered_by", String(100)),
)

# ---- ratings (评价), revision matching_0003 -------------------------------------------------------------

product_ratings = Table(
    "product_ratings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("product_id", String(36), nullable=False),
    Column("product_version", Integer, nullable=False),
    Column("enterprise_id", String(100), nullable=False),
    Column("score", Integer, nullable=False),
    Column("comment", Text, nullable=False),
    Column("rated_by", String(100), nullable=False),
    Column("rated_on", Date, nullable=False),
    Column("hidden_reason", Text),  # a city officer hid the comment (the score still counts)
    Column("hidden_by", String(100)),
    Column("hidden_on", Date),
    Column("version", Integer, nullable=False),
    Index("ux_product_ratings_once", "product_id", "product_version", "enterprise_id", unique=True),
)

# ---- solutions and annual work plans (S0 二(三)), revision matching_0004 -------------------------------------

solutions = Table(
    "solutions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("lead_organisation_id", String(100), nullable=False, index=True),
    Column("partner_organisation_ids", JSONB, nullable=False),
    Column("confirmations", JSONB, nullable=False),  # partner organisation id -> {by, on}
    Column("title", String(200), nullable=False),
    Column("sector", String(50), nullable=False),
    Column("summary", Text, nullable=False),
    Column("products", JSONB, nullable=False),  # [{product_id, version, name}]
    Column("state", String(30), nullable=False),  # domain.solutions.State
    Column("published_on", Date),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("version", Integer, nullable=False),
)

work_plans = Table(
    "work_plans",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organisation_id", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("targets", JSONB, nullable=False),  # [{sector, enterprises_to_serve, products_to_apply}]
    Column("filed_by", String(100), nullable=False),
    Column("filed_on", Date, nullable=False),
    Index("ux_work_plans_year", "organisation_id", "year", unique=True),
)

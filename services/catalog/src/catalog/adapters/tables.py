"""Tables of the catalog service (beside the common ones; the registry and diagnosis read models are in
readmodels.py)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR

from sihua_shared.revocation import deactivated_accounts_table

metadata = MetaData()

# The accounts the registry deactivated, kept by this service's reaction (spec.py): its api refuses their tokens.
deactivated_accounts = deactivated_accounts_table(metadata)

# ---- products and their versions ------------------------------------------------------------------

products = Table(
    "products",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("organisation_id", String(100), nullable=False, index=True),
    Column("district", String(50)),
    Column("listing", String(20), nullable=False),  # domain.product.Listing
    Column("catalogue_number", String(40), unique=True),
    Column("admitted_version", Integer),  # the version in force on the list, once admitted
    Column("latest_version", Integer, nullable=False),
    Column("marks", JSONB, nullable=False),  # what the provider was when the version in force was admitted
    Column("suspension_reasons", JSONB, nullable=False),
    Column("delist_reason", Text),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("version", Integer, nullable=False),  # the row's version (ETag)
)

product_versions = Table(
    "product_versions",
    metadata,
    Column("product_id", String(36), ForeignKey("products.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("state", String(20), nullable=False, index=True),  # domain.product.Review
    Column("content", JSONB, nullable=False),
    Column("edition_version_id", String(100)),  # the diagnosis edition whose scenes it names
    Column("history", JSONB, nullable=False),  # every step: action, from, to, reasons, by, at
    Column("panel_seed", BigInteger),
    Column("rubric", String(50)),
    Column("final_score", String(10)),
    Column("submitted_at", DateTime(timezone=True)),
    Column("decided_at", DateTime(timezone=True)),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# One row per expert on the admission panel of a version; scores once given.
panel_members = Table(
    "panel_members",
    metadata,
    Column("product_id", String(36), ForeignKey("products.id"), primary_key=True),
    Column("version_number", Integer, primary_key=True),
    Column("expert_id", String(100), primary_key=True),
    Column("chair", Boolean, nullable=False),
    Column("draw_position", Integer, nullable=False),
    Column("scores", JSONB),
    Column("total", String(10)),
    Column("comment", Text),
    Column("scored_at", DateTime(timezone=True)),
    Index("ix_panel_members_expert_id", "expert_id"),
)

# Catalogue numbers: a counter per year (GZ-XKQZ-<year>-<n>).
catalogue_counters = Table(
    "catalogue_counters",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

# Brochures of a version and evidence of an adaptation record.
product_files = Table(
    "product_files",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("product_id", String(36), ForeignKey("products.id"), nullable=False, index=True),
    Column("version_number", Integer, nullable=False),
    Column("adaptation_record_id", String(36)),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(300), nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# ---- the adaptation-verification library (适配验证库) -------------------------------------------------

adaptation_records = Table(
    "adaptation_records",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("product_id", String(36), ForeignKey("products.id"), nullable=False, index=True),
    Column("product_version", Integer, nullable=False),
    Column("target_kind", String(20), nullable=False),
    Column("target_ref", String(100), nullable=False),
    Column("target_name", String(200), nullable=False),
    Column("tested", Text, nullable=False),
    Column("cases", JSONB, nullable=False),
    Column("verifier_account_id", String(100), nullable=False),
    Column("verifier_organisation_id", String(100), nullable=False),
    Column("verified_on", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("expired_on", Date),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_adaptation_records_target", "target_kind", "target_ref"),
)

# ---- the public showcase's search index: one row per listed product, rebuilt on every change ---------------

product_search = Table(
    "product_search",
    metadata,
    Column("product_id", String(36), ForeignKey("products.id"), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("catalogue_number", String(40), nullable=False),
    Column("organisation_id", String(100), nullable=False),
    Column("provider_name", String(300), nullable=False),
    Column("name", String(200), nullable=False),
    Column("summary", String(500), nullable=False),
    Column("document", TSVECTOR, nullable=False),
    Column("product_type", String(40), nullable=False),
    Column("deployment", String(20), nullable=False),
    Column("business_links", ARRAY(String(20)), nullable=False),
    Column("scenes", ARRAY(String(20)), nullable=False),
    Column("sectors", ARRAY(String(50)), nullable=False),
    Column("verified_with", ARRAY(String(130)), nullable=False),
    Column("marks", ARRAY(String(30)), nullable=False),
    Column("min_price_fen", BigInteger),
    Column("price_band", String(20)),
    Column("admitted_at", DateTime(timezone=True), nullable=False),
    Index("ix_product_search_document", "document", postgresql_using="gin"),
    Index("ix_product_search_scenes", "scenes", postgresql_using="gin"),
    Index("ix_product_search_verified_with", "verified_with", postgresql_using="gin"),
    Index("ix_product_search_min_price_fen", "min_price_fen"),
)

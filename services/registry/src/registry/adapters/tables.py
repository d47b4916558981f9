"""Tables of the registry service (beside the common ones)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("uscc", String(18), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("district", String(50)),
    Column("sector", String(50)),
    Column("industry_code", String(20)),
    Column("size_class", String(20)),
    # The inputs of the size class (revision 0003): kept beside the result, which is recomputed on change.
    Column("employees", Integer),
    Column("revenue_fen", BigInteger),
    Column("total_assets_fen", BigInteger),  # 资产总额, for the rows of the size standard that use it (revision sizeclass_0001)
    Column("size_class_basis", JSONB),
    # The systems the enterprise says it runs (ERP, MES, ...), as codes; NULL: not said (revision facts_0001).
    Column("systems", JSONB),
    # Verification (revision signup_0001): an organisation that signed itself up starts unverified; officials'
    # registrations are verified from the start (domain.verification).
    Column("verification", String(20), nullable=False, server_default="verified"),
    Column("verified_by", String(30)),  # district_officer, city_officer or external_identity
    Column("verification_decided_on", Date),
    Column("verification_decided_by", String(100)),
    Column("rejection_reason", String(1000)),
    # The contact person a public sign-up named (mailed when someone signs up again with the same USCC).
    Column("contact_name", String(200)),
    Column("contact_email", String(320)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Officers list organisations by district and kind (revision 0003).
    Index("ix_organisations_district", "district"),
    Index("ix_organisations_kind", "kind"),
    # District officers' queue of sign-ups to verify (revision signup_0001).
    Index("ix_organisations_verification", "verification"),
)

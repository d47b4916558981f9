"""Tables of the registry service (beside the common ones)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, func
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
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Officers list organisations by district and kind (revision 0003).
    Index("ix_organisations_district", "district"),
    Index("ix_organisations_kind", "kind"),
)

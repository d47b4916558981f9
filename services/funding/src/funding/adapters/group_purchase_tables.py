"""Funding's read model of catalog's group purchases (集中采购, S2 四(二)3): the purchases a cluster body opened,
the enterprises that enrolled and the deliveries (the enterprise adopted the product), kept from catalog's
``group_purchase.opened/enrolled/closed/delivered`` facts. Each fact fills its own columns, so facts arriving out
of order (a delivery before its purchase's opening) still land; a redelivery rewrites the same row."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, Integer, String, Table, func

from .tables import metadata

group_purchases = Table(
    "funding_group_purchases",
    metadata,
    Column("group_purchase_id", String(100), primary_key=True),
    Column("cluster_body_id", String(100), nullable=False, index=True),
    Column("product_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("package_code", String(100)),
    Column("catalogue_price_fen", BigInteger),
    Column("price_fen", BigInteger),
    Column("places", Integer),
    Column("opens_on", Date),
    Column("closes_on", Date),
    Column("enrolled", Integer),
    Column("closed_on", Date),
    Column("recorded_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    CheckConstraint("catalogue_price_fen >= 0 AND price_fen >= 0", name="ck_funding_group_purchase_money"),
)

group_purchase_enrolments = Table(
    "funding_group_purchase_enrolments",
    metadata,
    Column("group_purchase_id", String(100), primary_key=True),
    Column("enterprise_id", String(100), primary_key=True),
    Column("cluster_body_id", String(100), nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("places_taken", Integer, nullable=False),
    Column("enrolled_on", Date, nullable=False),
    CheckConstraint("price_fen >= 0", name="ck_funding_group_purchase_enrolment_money"),
)

group_purchase_deliveries = Table(
    "funding_group_purchase_deliveries",
    metadata,
    Column("group_purchase_id", String(100), primary_key=True),
    Column("enterprise_id", String(100), primary_key=True),
    Column("cluster_body_id", String(100), nullable=False, index=True),
    Column("product_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("district", String(50)),
    Column("delivered_on", Date, nullable=False),
    CheckConstraint("price_fen >= 0", name="ck_funding_group_purchase_delivery_money"),
)

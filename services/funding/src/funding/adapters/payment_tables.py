"""Payment orders (拨付指令) per approved award and tranche; the payee's account encrypted at rest (Fernet)."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, Integer, String, Table, Text, UniqueConstraint, func

from .tables import metadata

payment_orders = Table(
    "funding_payment_orders",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), nullable=False, index=True),
    Column("applicant_id", String(100), nullable=False),
    Column("district", String(50)),
    Column("tranche", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("payee_name", String(300), nullable=False),
    Column("payee_account_enc", Text, nullable=False),
    Column("payee_account_tail", String(4), nullable=False),
    Column("state", String(20), nullable=False),
    Column("ordered_by", String(100), nullable=False),
    Column("ordered_on", Date, nullable=False),
    Column("paid_by", String(100)),
    Column("paid_on", Date),
    Column("bank_reference", String(100)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_fen > 0", name="ck_funding_payment_amount"),
    UniqueConstraint("application_id", "tranche", name="ux_funding_payment_tranche"),
)

# Claw-backs (追回): a recovery opened on a paid award (failed progress check, revoked acceptance, double funding),
# recovered by the enterprise's repayments; each recovery returns to the budgets it came from.
clawbacks = Table(
    "funding_clawbacks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), nullable=False, index=True),
    Column("applicant_id", String(100), nullable=False),
    Column("district", String(50)),
    Column("reason", String(30), nullable=False),
    Column("note", String(2000)),
    Column("amount_fen", BigInteger, nullable=False),
    Column("recovered_fen", BigInteger, nullable=False, server_default="0"),
    Column("state", String(20), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("settled_on", Date),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_fen > 0 AND recovered_fen >= 0", name="ck_funding_clawback_money"),
)

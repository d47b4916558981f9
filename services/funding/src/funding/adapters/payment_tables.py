"""Payment orders (拨付指令) per approved award and tranche; the payee's account encrypted at rest (Fernet)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

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
    Column("offset_fen", BigInteger, nullable=False, server_default="0"),  # withheld to settle open claw-backs (抵扣)
    Column("confirmed_by", String(20)),  # finance / service / payment_file
    Column("computation", JSONB),  # the final tranche's recomputation on the verified actual investment, with its trace
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
    Column("recovered_fen", BigInteger, nullable=False, server_default="0"),  # offsets + repayments
    Column("offset_fen", BigInteger, nullable=False, server_default="0"),  # the part recovered by offsets
    Column("offsettable", Boolean, nullable=False, server_default="false"),  # the rule allows offsetting later payments
    Column("clause", String(100)),
    Column("state", String(20), nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("settled_on", Date),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_fen > 0 AND recovered_fen >= 0", name="ck_funding_clawback_money"),
)

# The award ledger's movements after approval. ``amount_fen`` is the change of the award (funding_awards keeps each
# award's net amount, which the cumulative caps read): a recomputation below the approved amount and a claw-back that
# takes the award back are negative. ``paid_fen`` is the money's movement: a payment positive, an offset or a
# repayment of a claw-back negative.
ledger_entries = Table(
    "funding_ledger_entries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("seq", BigInteger, Identity(always=True), nullable=False, unique=True),  # the order of the steps
    Column("application_id", String(36), nullable=False, index=True),
    Column("applicant_id", String(100), nullable=False),
    Column("measure_id", String(100), nullable=False),
    Column("project_id", String(100), nullable=False),
    Column("district", String(50)),
    Column("kind", String(30), nullable=False),
    Column("amount_fen", BigInteger, nullable=False, server_default="0"),
    Column("paid_fen", BigInteger, nullable=False, server_default="0"),
    Column("clause", String(100)),
    Column("reference", String(100)),
    Column("trace", JSONB),
    Column("created_by", String(100), nullable=False),
    Column("created_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Payment files (XLSX) imported from the finance side: one per file content, with its row report.
payment_imports = Table(
    "funding_payment_imports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("imported_by", String(100), nullable=False),
    Column("imported_on", Date, nullable=False),
    Column("report", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("sha256", name="ux_funding_payment_import_file"),
)

"""Budgets (资金池) per fund source, measure and year, and their movements (reserve, consume, release).

A budget row keeps ``reserved_fen`` (approved, not yet paid) and ``paid_fen`` (consumed); the database refuses a
row whose remaining amount falls below zero (``ck_funding_budget_not_overspent``), beneath the row lock the use
case takes, so no interleaving of approvals overspends a budget. Money is BIGINT fen.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, Integer, String, Table, func, text

from .tables import metadata

budgets = Table(
    "funding_budgets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("year", Integer, nullable=False),
    Column("measure_id", String(100), nullable=False),
    Column("fund_source", String(20), nullable=False),
    # the district whose budget it is ('' for a budget of the city, province or centre)
    Column("district", String(50), nullable=False, server_default=""),
    Column("amount_fen", BigInteger, nullable=False),
    Column("share_bp", Integer, nullable=False),
    Column("reserved_fen", BigInteger, nullable=False, server_default="0"),
    Column("paid_fen", BigInteger, nullable=False, server_default="0"),
    # amount - reserved - paid, kept by every movement; never below zero
    Column("remaining_fen", BigInteger, nullable=False),
    Column("document", String(200)),
    Column("created_by", String(100), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_fen >= 0 AND reserved_fen >= 0 AND paid_fen >= 0", name="ck_funding_budget_money"),
    CheckConstraint("remaining_fen >= 0", name="ck_funding_budget_not_overspent"),
    CheckConstraint("share_bp > 0 AND share_bp <= 10000", name="ck_funding_budget_share"),
)

Index("ux_funding_budget_slot", budgets.c.year, budgets.c.measure_id, budgets.c.fund_source, budgets.c.district,
      unique=True)

# Every movement of a budget: ``reserve`` at approval, ``consume`` at payment, ``release`` at a claw-back.
budget_entries = Table(
    "funding_budget_entries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("budget_id", String(36), nullable=False, index=True),
    Column("application_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("reference", String(100)),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("amount_fen > 0", name="ck_funding_budget_entry_amount"),
)

Index("ux_funding_budget_reserve_once", budget_entries.c.budget_id, budget_entries.c.application_id, unique=True,
      postgresql_where=text("kind = 'reserve'"))

"""Adoption and outcome (issue 14 §2), beside the catalog's own tables (same metadata; revision adopt_0001): the
transformation projects funding reports (``project.contracted / investment_approved / completed /
acceptance_applied / accepted / failed``) and the product versions their contract lines name. The adopters and
outcomes of a product are counted from these rows when read, never kept as running totals, so facts arriving out
of order or twice leave the counts right."""

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, Integer, String, Table, func

from .tables import metadata

# One row per funded project; ``version`` is the rank of the newest state seen (contracted 1 … accepted/failed 5).
funded_projects = Table(
    "funded_projects",
    metadata,
    Column("project_id", String(100), primary_key=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("traction_unit_id", String(100)),
    Column("district", String(50)),
    Column("contract_number", String(100)),
    Column("contract_amount_fen", BigInteger),
    Column("contracted_on", Date),
    Column("state", String(30), nullable=False),  # application.adoption.PROJECT_STATES
    Column("outcome_on", Date),  # the acceptance's date (accepted or failed)
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The contract's lines: which product version and package the project adopted, for how much.
project_lines = Table(
    "project_lines",
    metadata,
    Column("project_id", String(100), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("product_id", String(100), nullable=False),
    Column("product_version", Integer, nullable=False),
    Column("package_code", String(50), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Index("ix_project_lines_product", "product_id", "product_version"),
)

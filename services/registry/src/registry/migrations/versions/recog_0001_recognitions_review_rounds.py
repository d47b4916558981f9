"""Recognitions and review rounds: title/call kinds are jurisdiction codes (up to 64 characters), and year-round calls
are reviewed and publicised round by round (``review_rounds``, ``applications.review_round_id``).

Revision ID: recog_0001
Revises: sizeclass_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "recog_0001"
down_revision = "exchange_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("calls", "kind", type_=sa.String(length=64), existing_type=sa.String(length=30), existing_nullable=False)
    op.alter_column("titles", "kind", type_=sa.String(length=64), existing_type=sa.String(length=50), existing_nullable=False)
    op.alter_column("title_sequences", "kind", type_=sa.String(length=64), existing_type=sa.String(length=50),
                    existing_nullable=False)
    op.create_table(
        "review_rounds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), server_default="closed", nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=False),
        sa.Column("application_ids", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("publicity_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("call_id", "number", name="uq_review_round_number"),
    )
    op.create_index("uq_review_round_pending", "review_rounds", ["call_id"], unique=True,
                    postgresql_where=sa.text("state = 'closed'"))
    op.add_column("applications", sa.Column("review_round_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    op.drop_column("applications", "review_round_id")
    op.drop_index("uq_review_round_pending", table_name="review_rounds", postgresql_where=sa.text("state = 'closed'"))
    op.drop_table("review_rounds")
    op.alter_column("title_sequences", "kind", type_=sa.String(length=50), existing_type=sa.String(length=64),
                    existing_nullable=False)
    op.alter_column("titles", "kind", type_=sa.String(length=50), existing_type=sa.String(length=64), existing_nullable=False)
    op.alter_column("calls", "kind", type_=sa.String(length=30), existing_type=sa.String(length=64), existing_nullable=False)

"""The catalog's own tables: products, their versions and admission panels, brochures, the adaptation-verification
library, the showcase's search index; and the read models of the facts it keeps beside the registry's (verification
standing, the expert pool, relationships, ecosystem partners, the diagnosis edition in force).

Revision ID: catalog_0001
Revises: delivery_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "catalog_0001"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalogue_counters',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('ecosystem_partners',
    sa.Column('membership_id', sa.String(length=100), nullable=False),
    sa.Column('traction_unit_id', sa.String(length=100), nullable=False),
    sa.Column('partner_id', sa.String(length=100), nullable=False),
    sa.Column('ended', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('membership_id')
    )
    op.create_index(op.f('ix_ecosystem_partners_partner_id'), 'ecosystem_partners', ['partner_id'], unique=False)
    op.create_table('editions',
    sa.Column('edition_id', sa.String(length=50), nullable=False),
    sa.Column('version_id', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('scenes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('edition_id')
    )
    op.create_table('expert_pool',
    sa.Column('expert_account_id', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('organisation_id', sa.String(length=100), nullable=True),
    sa.Column('fields', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('can_chair', sa.Boolean(), nullable=True),
    sa.Column('declared_conflicts', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('expert_account_id')
    )
    op.create_table('organisation_standing',
    sa.Column('organisation_id', sa.String(length=100), nullable=False),
    sa.Column('verification', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('organisation_id')
    )
    op.create_table('products',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=100), nullable=False),
    sa.Column('district', sa.String(length=50), nullable=True),
    sa.Column('listing', sa.String(length=20), nullable=False),
    sa.Column('catalogue_number', sa.String(length=40), nullable=True),
    sa.Column('admitted_version', sa.Integer(), nullable=True),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('marks', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('suspension_reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('delist_reason', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('catalogue_number')
    )
    op.create_index(op.f('ix_products_organisation_id'), 'products', ['organisation_id'], unique=False)
    op.create_table('relationships',
    sa.Column('relationship_id', sa.String(length=100), nullable=False),
    sa.Column('organisation_a_id', sa.String(length=100), nullable=False),
    sa.Column('organisation_b_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('relationship_id')
    )
    op.create_index(op.f('ix_relationships_organisation_a_id'), 'relationships', ['organisation_a_id'], unique=False)
    op.create_index(op.f('ix_relationships_organisation_b_id'), 'relationships', ['organisation_b_id'], unique=False)
    op.create_table('adaptation_records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('product_version', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=20), nullable=False),
    sa.Column('target_ref', sa.String(length=100), nullable=False),
    sa.Column('target_name', sa.String(length=200), nullable=False),
    sa.Column('tested', sa.Text(), nullable=False),
    sa.Column('cases', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('verifier_account_id', sa.String(length=100), nullable=False),
    sa.Column('verifier_organisation_id', sa.String(length=100), nullable=False),
    sa.Column('verified_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('expired_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_adaptation_records_product_id'), 'adaptation_records', ['product_id'], unique=False)
    op.create_index('ix_adaptation_records_target', 'adaptation_records', ['target_kind', 'target_ref'], unique=False)
    op.create_table('product_files',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('adaptation_record_id', sa.String(length=36), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_product_files_product_id'), 'product_files', ['product_id'], unique=False)
    op.create_table('product_search',
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('catalogue_number', sa.String(length=40), nullable=False),
    sa.Column('organisation_id', sa.String(length=100), nullable=False),
    sa.Column('provider_name', sa.String(length=300), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('document', postgresql.TSVECTOR(), nullable=False),
    sa.Column('product_type', sa.String(length=40), nullable=False),
    sa.Column('deployment', sa.String(length=20), nullable=False),
    sa.Column('business_links', postgresql.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('scenes', postgresql.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('sectors', postgresql.ARRAY(sa.String(length=50)), nullable=False),
    sa.Column('verified_with', postgresql.ARRAY(sa.String(length=130)), nullable=False),
    sa.Column('marks', postgresql.ARRAY(sa.String(length=30)), nullable=False),
    sa.Column('min_price_fen', sa.BigInteger(), nullable=True),
    sa.Column('price_band', sa.String(length=20), nullable=True),
    sa.Column('admitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('product_id')
    )
    op.create_index('ix_product_search_document', 'product_search', ['document'], unique=False, postgresql_using='gin')
    op.create_index('ix_product_search_min_price_fen', 'product_search', ['min_price_fen'], unique=False)
    op.create_index('ix_product_search_scenes', 'product_search', ['scenes'], unique=False, postgresql_using='gin')
    op.create_index('ix_product_search_verified_with', 'product_search', ['verified_with'], unique=False, postgresql_using='gin')
    op.create_table('product_versions',
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('content', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('edition_version_id', sa.String(length=100), nullable=True),
    sa.Column('history', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('panel_seed', sa.BigInteger(), nullable=True),
    sa.Column('rubric', sa.String(length=50), nullable=True),
    sa.Column('final_score', sa.String(length=10), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('product_id', 'number')
    )
    op.create_index(op.f('ix_product_versions_state'), 'product_versions', ['state'], unique=False)
    op.create_table('panel_members',
    sa.Column('product_id', sa.String(length=36), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.String(length=100), nullable=False),
    sa.Column('chair', sa.Boolean(), nullable=False),
    sa.Column('draw_position', sa.Integer(), nullable=False),
    sa.Column('scores', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('total', sa.String(length=10), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('product_id', 'version_number', 'expert_id')
    )
    op.create_index('ix_panel_members_expert_id', 'panel_members', ['expert_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_panel_members_expert_id', table_name='panel_members')
    op.drop_table('panel_members')
    op.drop_index(op.f('ix_product_versions_state'), table_name='product_versions')
    op.drop_table('product_versions')
    op.drop_index('ix_product_search_verified_with', table_name='product_search', postgresql_using='gin')
    op.drop_index('ix_product_search_scenes', table_name='product_search', postgresql_using='gin')
    op.drop_index('ix_product_search_min_price_fen', table_name='product_search')
    op.drop_index('ix_product_search_document', table_name='product_search', postgresql_using='gin')
    op.drop_table('product_search')
    op.drop_index(op.f('ix_product_files_product_id'), table_name='product_files')
    op.drop_table('product_files')
    op.drop_index('ix_adaptation_records_target', table_name='adaptation_records')
    op.drop_index(op.f('ix_adaptation_records_product_id'), table_name='adaptation_records')
    op.drop_table('adaptation_records')
    op.drop_index(op.f('ix_relationships_organisation_b_id'), table_name='relationships')
    op.drop_index(op.f('ix_relationships_organisation_a_id'), table_name='relationships')
    op.drop_table('relationships')
    op.drop_index(op.f('ix_products_organisation_id'), table_name='products')
    op.drop_table('products')
    op.drop_table('organisation_standing')
    op.drop_table('expert_pool')
    op.drop_table('editions')
    op.drop_index(op.f('ix_ecosystem_partners_partner_id'), table_name='ecosystem_partners')
    op.drop_table('ecosystem_partners')
    op.drop_table('catalogue_counters')

"""initial schema

Revision ID: 33becbe789f7
Revises: 
Create Date: 2026-11-23 20:02:34.521711
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '33becbe789f7'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('password_token_hash', sa.String(length=64), nullable=True),
    sa.Column('password_token_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('password_token_hash', name=op.f('uq_app_user_password_token_hash'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_email'), ['email'], unique=True)

    op.create_table('event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('president_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_event_ends_after_start')),
    sa.ForeignKeyConstraint(['president_id'], ['app_user.id'], name=op.f('fk_event_president_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_president_id'), ['president_id'], unique=False)

    op.create_table('refresh_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_refresh_token_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_token_token_hash'))
    )
    with op.batch_alter_table('refresh_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_token_family'), ['family'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_user_id'), ['user_id'], unique=False)

    op.create_table('annonce',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("target IN ('ALL', 'PARTICIPANTS', 'EXPOSANTS', 'CONTROLLEURS', 'GESTIONNAIRES')", name=op.f('ck_annonce_target')),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_annonce_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_annonce_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annonce'))
    )
    with op.batch_alter_table('annonce', schema=None) as batch_op:
        batch_op.create_index('ix_annonce_event_id_created_at', ['event_id', 'created_at'], unique=False)

    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('GESTIONNAIRE_DES_SALLES', 'CONTROLLEUR_DES_BADGES', 'PARTICIPANT', 'EXPOSANT')", name=op.f('ck_member_role')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_member_event_id_event')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_member_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_member_event_id_user_id'))
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index('ix_member_event_id_role', ['event_id', 'role'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_user_id'), ['user_id'], unique=False)

    op.create_table('room',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=300), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_room_capacity_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_room_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_room_event_id_name'))
    )
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_event_id'), ['event_id'], unique=False)

    op.create_table('badge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_badge_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge')),
    sa.UniqueConstraint('code', name=op.f('uq_badge_code'))
    )
    with op.batch_alter_table('badge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_member_id'), ['member_id'], unique=False)

    op.create_table('room_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('GESTIONNAIRE_DES_SALLES', 'CONTROLLEUR_DES_BADGES')", name=op.f('ck_room_assignment_role')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_room_assignment_ends_after_start')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['app_user.id'], name=op.f('fk_room_assignment_assigned_by_id_app_user')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_room_assignment_event_id_event')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_room_assignment_member_id_member')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_room_assignment_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_assignment'))
    )
    with op.batch_alter_table('room_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_assignment_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_room_assignment_member_id_starts_at', ['member_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_room_assignment_room_id_starts_at', ['room_id', 'starts_at'], unique=False)

    op.create_table('session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('speaker_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('is_paid', sa.Boolean(), nullable=False),
    sa.Column('price', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('youtube_live_url', sa.String(length=500), nullable=True),
    sa.CheckConstraint("kind = 'ATELIER' OR NOT is_paid", name=op.f('ck_session_conference_is_free')),
    sa.CheckConstraint("kind IN ('CONFERENCE', 'ATELIER')", name=op.f('ck_session_kind')),
    sa.CheckConstraint("status IN ('PAS_ENCORE', 'EN_COURS', 'TERMINE')", name=op.f('ck_session_status')),
    sa.CheckConstraint('(is_paid AND price > 0) OR (NOT is_paid AND price = 0)', name=op.f('ck_session_price')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_session_ends_after_start')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_session_event_id_event')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_session_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session'))
    )
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.create_index('ix_session_event_id_starts_at', ['event_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_session_room_id_starts_at', ['room_id', 'starts_at'], unique=False)

    op.create_table('stored_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'PLAN') = (member_id IS NOT NULL)", name=op.f('ck_stored_file_plan_has_member')),
    sa.CheckConstraint("kind IN ('PROGRAMME', 'GUIDE', 'PLAN')", name=op.f('ck_stored_file_kind')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_stored_file_event_id_event')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_stored_file_member_id_member')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['app_user.id'], name=op.f('fk_stored_file_uploaded_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_file')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_stored_file_storage_key'))
    )
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.create_index('ix_stored_file_event_id_kind', ['event_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_stored_file_member_id'), ['member_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('exposant_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_visit_event_id_event')),
    sa.ForeignKeyConstraint(['exposant_id'], ['member.id'], name=op.f('fk_visit_exposant_id_member')),
    sa.ForeignKeyConstraint(['participant_id'], ['member.id'], name=op.f('fk_visit_participant_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_visit_exposant_id_participant_id', ['exposant_id', 'participant_id'], unique=False)
        batch_op.create_index('ix_visit_exposant_id_scanned_at', ['exposant_id', 'scanned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_participant_id'), ['participant_id'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.CheckConstraint('upvotes >= 0', name=op.f('ck_question_upvotes_not_negative')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['app_user.id'], name=op.f('fk_question_answered_by_id_app_user')),
    sa.ForeignKeyConstraint(['author_id'], ['member.id'], name=op.f('fk_question_author_id_member')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_question_event_id_event')),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_question_session_id_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_question_session_id_asked_at', ['session_id', 'asked_at'], unique=False)

    op.create_table('room_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=128), nullable=False),
    sa.Column('controller_id', sa.Integer(), nullable=True),
    sa.Column('scanned_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_scanned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('client_scan_id', sa.String(length=100), nullable=True),
    sa.CheckConstraint("(status = 'GRANTED' AND reason IS NULL) OR (status = 'DENIED' AND reason IN ('UNKNOWN_BADGE', 'REVOKED_BADGE', 'WRONG_EVENT', 'NO_SESSION', 'NOT_PAID', 'ROOM_FULL'))", name=op.f('ck_room_access_reason')),
    sa.CheckConstraint("status IN ('GRANTED', 'DENIED')", name=op.f('ck_room_access_status')),
    sa.ForeignKeyConstraint(['controller_id'], ['member.id'], name=op.f('fk_room_access_controller_id_member')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_room_access_event_id_event')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_room_access_member_id_member')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_room_access_room_id_room')),
    sa.ForeignKeyConstraint(['scanned_by_id'], ['app_user.id'], name=op.f('fk_room_access_scanned_by_id_app_user')),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_room_access_session_id_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_access')),
    sa.UniqueConstraint('scanned_by_id', 'client_scan_id', name=op.f('uq_room_access_scanned_by_id_client_scan_id'))
    )
    with op.batch_alter_table('room_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_access_controller_id'), ['controller_id'], unique=False)
        batch_op.create_index('ix_room_access_event_id_scanned_at', ['event_id', 'scanned_at'], unique=False)
        batch_op.create_index('ix_room_access_member_id', ['member_id'], unique=False)
        batch_op.create_index('ix_room_access_room_id_scanned_at', ['room_id', 'scanned_at'], unique=False)
        batch_op.create_index('ix_room_access_session_id_status_member_id', ['session_id', 'status', 'member_id'], unique=False)

    op.create_table('session_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('payment_status', sa.String(length=32), nullable=False),
    sa.Column('amount_paid', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("payment_status IN ('PENDING', 'PAID', 'FREE')", name=op.f('ck_session_access_payment_status')),
    sa.CheckConstraint('amount_paid >= 0', name=op.f('ck_session_access_amount_not_negative')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['app_user.id'], name=op.f('fk_session_access_marked_by_id_app_user')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_session_access_member_id_member')),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_session_access_session_id_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_access')),
    sa.UniqueConstraint('session_id', 'member_id', name=op.f('uq_session_access_session_id_member_id'))
    )
    with op.batch_alter_table('session_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_access_member_id'), ['member_id'], unique=False)

    op.create_table('question_upvote',
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_question_upvote_member_id_member')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_question_upvote_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('question_id', 'member_id', name=op.f('pk_question_upvote'))
    )
    with op.batch_alter_table('question_upvote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_upvote_member_id'), ['member_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('question_upvote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_upvote_member_id'))

    op.drop_table('question_upvote')
    with op.batch_alter_table('session_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_access_member_id'))

    op.drop_table('session_access')
    with op.batch_alter_table('room_access', schema=None) as batch_op:
        batch_op.drop_index('ix_room_access_session_id_status_member_id')
        batch_op.drop_index('ix_room_access_room_id_scanned_at')
        batch_op.drop_index('ix_room_access_member_id')
        batch_op.drop_index('ix_room_access_event_id_scanned_at')
        batch_op.drop_index(batch_op.f('ix_room_access_controller_id'))

    op.drop_table('room_access')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index('ix_question_session_id_asked_at')
        batch_op.drop_index(batch_op.f('ix_question_event_id'))
        batch_op.drop_index(batch_op.f('ix_question_author_id'))

    op.drop_table('question')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_participant_id'))
        batch_op.drop_index('ix_visit_exposant_id_scanned_at')
        batch_op.drop_index('ix_visit_exposant_id_participant_id')
        batch_op.drop_index(batch_op.f('ix_visit_event_id'))

    op.drop_table('visit')
    with op.batch_alter_table('stored_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_file_member_id'))
        batch_op.drop_index('ix_stored_file_event_id_kind')

    op.drop_table('stored_file')
    with op.batch_alter_table('session', schema=None) as batch_op:
        batch_op.drop_index('ix_session_room_id_starts_at')
        batch_op.drop_index('ix_session_event_id_starts_at')

    op.drop_table('session')
    with op.batch_alter_table('room_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_room_assignment_room_id_starts_at')
        batch_op.drop_index('ix_room_assignment_member_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_room_assignment_event_id'))

    op.drop_table('room_assignment')
    with op.batch_alter_table('badge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_member_id'))

    op.drop_table('badge')
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_event_id'))

    op.drop_table('room')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_user_id'))
        batch_op.drop_index('ix_member_event_id_role')

    op.drop_table('member')
    with op.batch_alter_table('annonce', schema=None) as batch_op:
        batch_op.drop_index('ix_annonce_event_id_created_at')

    op.drop_table('annonce')
    with op.batch_alter_table('refresh_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_family'))

    op.drop_table('refresh_token')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_president_id'))

    op.drop_table('event')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_email'))

    op.drop_table('app_user')

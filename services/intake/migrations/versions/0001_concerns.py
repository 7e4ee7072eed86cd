"""Concerns, categories and the messaging tables.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

from servicekit import messaging_schema
from servicekit.database import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The pain-point types the county named, as the starting list (later editable as data).
DEFAULT_CATEGORIES = [
    ("slow_help", "办事难", "Slow help with problems"),
    ("urgent_child_care", "急难愁盼的托育", "Urgent child care"),
    ("neighbour_relations", "邻里关系", "Neighbour relations"),
    ("property_management", "物业管理", "Property management"),
    ("environment_sanitation", "环境卫生", "Environment and sanitation"),
    ("safety", "安全隐患", "Safety"),
    ("noise", "噪音扰民", "Noise"),
    ("blocked_hallway", "楼道堵塞", "Blocked hallways"),
    ("illegal_construction", "违章搭建", "Illegal construction"),
    ("occupied_green_space", "侵占绿地", "Occupied green space"),
    ("other", "其他", "Other"),
]


def upgrade() -> None:
    op.create_table(
        "concerns",
        sa.Column("concern_id", sa.String(36), primary_key=True),
        sa.Column("neighbourhood_id", sa.String(64), nullable=False, index=True),
        sa.Column("household_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("reporter_name", sa.String(50), nullable=True),
        sa.Column("reporter_phone", sa.String(32), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
    )
    categories = op.create_table(
        "categories",
        sa.Column("code", sa.String(50), primary_key=True),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("is_open", sa.Boolean, nullable=False),
    )
    op.bulk_insert(categories, [
        {"code": code, "name_zh": zh, "name_en": en, "is_open": True} for code, zh, en in DEFAULT_CATEGORIES
    ])
    messaging_schema.create_v1(op)


def downgrade() -> None:
    messaging_schema.drop_v1(op)
    op.drop_table("categories")
    op.drop_table("concerns")

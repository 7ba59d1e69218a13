"""The portal's own tables: staff users (hashed passwords) and their sessions. Nothing else:
programme data stays in the services."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import utcnow


class PortalBase(SQLModel, registry=registry()):
    pass


class User(PortalBase, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=100, unique=True)
    password_hash: str = Field(max_length=200)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="nl", max_length=2)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class WebSession(PortalBase, table=True):
    """A signed-in browser: the cookie holds the token, the table only its hash."""

    __tablename__ = "sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    username: str = Field(max_length=100, index=True)
    csrf_token: str = Field(max_length=64)
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)

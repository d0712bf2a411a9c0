"""Logging in and out."""

from __future__ import annotations

from datetime import datetime

import strawberry

from resolvers import auth
from schema.fields import mutation
from schema.info import Info
from schema.users import User


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    expires_at: datetime = strawberry.field(description="When the access token expires.")
    user: User

    @classmethod
    def from_pair(cls, pair: auth.TokenPair) -> AuthPayload:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_at=pair.expires_at,
            user=User.from_model(pair.user),
        )


@strawberry.type
class AuthMutation:
    @mutation(description="Exchange an email and password for an access token and a refresh token.")
    def login(self, info: Info, email: str, password: str) -> AuthPayload:
        return AuthPayload.from_pair(auth.login(info.context, email=email, password=password))

    @mutation(
        description="Exchange a refresh token for a new pair; the old refresh token stops working."
    )
    def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        return AuthPayload.from_pair(auth.refresh(info.context, refresh_token=refresh_token))

    @mutation(
        description="Set a password with an invitation or reset token (from `agora invite`), and log in."
    )
    def set_password_with_token(self, info: Info, token: str, password: str) -> AuthPayload:
        return AuthPayload.from_pair(
            auth.set_password_with_token(info.context, token=token, password=password)
        )

    @mutation(
        description="Revoke the login chain of this refresh token. False when it was already invalid."
    )
    def logout(self, info: Info, refresh_token: str) -> bool:
        return auth.logout(info.context, refresh_token=refresh_token)

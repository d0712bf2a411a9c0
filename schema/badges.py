"""Badges: the code a member shows at the doors and stands, and its QR images."""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from resolvers import badges as badge_resolvers
from schema.fields import field


@strawberry.type(description="A member's badge, shown as a QR code at the doors and stands.")
class Badge:
    code: str = strawberry.field(
        description="The opaque code encoded in the QR image: unguessable, and useless once revoked."
    )
    revoked: bool
    issued_at: datetime

    @classmethod
    def from_model(cls, b: models.Badge) -> Badge:
        return cls(code=b.code, revoked=b.revoked_at is not None, issued_at=b.issued_at)

    @field(description="The QR code as an SVG document.")
    def qr_svg(self) -> str:
        return badge_resolvers.qr_svg(self.code)

    @field(description="The QR code as a data: URI of a PNG image.")
    def qr_png(self) -> str:
        return badge_resolvers.qr_png_data_uri(self.code)

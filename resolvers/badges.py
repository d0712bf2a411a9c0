"""Badges: unguessable codes, their QR images, revocation and reissue."""

from __future__ import annotations

import base64
import io
import secrets

import qrcode
import qrcode.image.pure
import qrcode.image.svg
from sqlmodel import Session

import models

BADGE_CODE_BYTES = 20  # 160 random bits


def new_code() -> str:
    return "AGB-" + secrets.token_urlsafe(BADGE_CODE_BYTES)


def issue_badge(db: Session, member: models.Member) -> models.Badge:
    assert member.id is not None
    badge = models.Badge(member_id=member.id, code=new_code())
    db.add(badge)
    return badge


def qr_svg(code: str) -> str:
    image = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def qr_png_data_uri(code: str) -> str:
    image = qrcode.make(code, image_factory=qrcode.image.pure.PyPNGImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

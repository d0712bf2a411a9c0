"""Login, refresh-token rotation and reuse, logout, expired and tampered tokens."""

from __future__ import annotations

from datetime import timedelta

import jwt
from sqlmodel import select

import models
from kernel import security
from tests.conftest import error_codes
from tests.factories import PASSWORD

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken refreshToken expiresAt user { id fullName email } }
}"""
REFRESH = """mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken user { email } } }"""
LOGOUT = """mutation($t: String!) { logout(refreshToken: $t) }"""
ME = "{ me { fullName email isAdmin } }"


def test_login_then_me(gql, factory):
    # given
    user = factory.user(email="ada@example.org", name="Ada")
    # when
    data = gql.ok(LOGIN, {"email": "ADA@example.org ", "password": PASSWORD})["login"]
    # then
    assert data["user"]["email"] == "ada@example.org"
    me = gql.ok(ME, token=data["accessToken"])["me"]
    assert me == {"fullName": "Ada", "email": "ada@example.org", "isAdmin": False}
    assert user.id is not None


def test_login_refused_with_wrong_password_or_unknown_email(gql, factory):
    factory.user(email="ada@example.org")
    for email, password in (
        ("ada@example.org", "wrong password"),
        ("nobody@example.org", PASSWORD),
    ):
        body = gql(LOGIN, {"email": email, "password": password})
        assert error_codes(body) == ["UNAUTHENTICATED"]
        assert body["errors"][0]["message"] == "Wrong email or password."


def test_anonymous_me_is_null(gql):
    assert gql.ok(ME) == {"me": None}


def test_refresh_rotates_and_old_token_stops_working(gql, factory):
    factory.user(email="ada@example.org")
    first = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    second = gql.ok(REFRESH, {"t": first["refreshToken"]})["refreshToken"]
    assert second["refreshToken"] != first["refreshToken"]
    assert gql.ok(ME, token=second["accessToken"])["me"]["email"] == "ada@example.org"
    third = gql.ok(REFRESH, {"t": second["refreshToken"]})["refreshToken"]
    assert third["user"]["email"] == "ada@example.org"


def test_reusing_a_spent_refresh_token_revokes_the_whole_chain(gql, factory, db):
    factory.user(email="ada@example.org")
    first = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    second = gql.ok(REFRESH, {"t": first["refreshToken"]})["refreshToken"]
    # when: the spent token comes back (stolen), the chain dies
    body = gql(REFRESH, {"t": first["refreshToken"]})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    # then: even the newest refresh token no longer works
    assert error_codes(gql(REFRESH, {"t": second["refreshToken"]})) == ["UNAUTHENTICATED"]
    rows = db.exec(select(models.RefreshToken)).all()
    assert len(rows) == 2
    assert all(r.revoked_at is not None for r in rows)


def test_a_second_login_is_a_separate_chain(gql, factory):
    factory.user(email="ada@example.org")
    laptop = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    phone = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    gql.ok(REFRESH, {"t": laptop["refreshToken"]})
    assert error_codes(gql(REFRESH, {"t": laptop["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert (
        gql.ok(REFRESH, {"t": phone["refreshToken"]})["refreshToken"]["user"]["email"]
        == "ada@example.org"
    )


def test_logout_revokes_the_refresh_token(gql, factory):
    factory.user(email="ada@example.org")
    pair = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    assert gql.ok(LOGOUT, {"t": pair["refreshToken"]}) == {"logout": True}
    assert error_codes(gql(REFRESH, {"t": pair["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert gql.ok(LOGOUT, {"t": pair["refreshToken"]}) == {"logout": False}


def test_unknown_refresh_token_is_refused(gql):
    assert error_codes(gql(REFRESH, {"t": "not-a-token"})) == ["UNAUTHENTICATED"]


def test_expired_access_token_is_unauthenticated(gql, factory, settings):
    user = factory.user()
    expired = security.issue_access_token(
        settings, user.id, models.utcnow() - timedelta(hours=2)
    ).token
    body = gql(ME, token=expired)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "expired" in body["errors"][0]["message"]
    assert body["data"] == {"me": None}


def test_tampered_access_token_is_unauthenticated(gql, factory, settings):
    user = factory.user()
    other = factory.user(admin=True)
    good = factory.token(user)
    header, payload, signature = good.split(".")
    forged_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(
            f'"sub":"{user.id}"'.encode(), f'"sub":"{other.id}"'.encode()
        )
    ).decode()
    for token in (f"{header}.{forged_payload}.{signature}", good[:-4] + "AAAA", "garbage"):
        assert error_codes(gql(ME, token=token)) == ["UNAUTHENTICATED"], token


def test_token_signed_with_another_key_or_audience_is_refused(gql, factory, settings):
    user = factory.user()
    claims = {
        "sub": str(user.id),
        "iat": 1,
        "exp": 4102444800,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "typ": "access",
    }
    wrong_key = jwt.encode(claims, "another-secret-another-secret-another", algorithm="HS256")
    wrong_aud = jwt.encode(
        {**claims, "aud": "someone-else"}, settings.secret_key, algorithm="HS256"
    )
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (wrong_key, wrong_aud, unsigned):
        assert error_codes(gql(ME, token=token)) == ["UNAUTHENTICATED"]


def test_logout_ends_the_access_token_at_once(gql, factory):
    # given: a login whose access token works
    factory.user(email="ada@example.org")
    pair = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    assert gql.ok(ME, token=pair["accessToken"])["me"]["email"] == "ada@example.org"
    # when
    gql.ok(LOGOUT, {"t": pair["refreshToken"]})
    # then: the access token no longer answers, long before it expires
    body = gql(ME, token=pair["accessToken"])
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "logout" in body["errors"][0]["message"]
    # and a new login works
    again = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    assert gql.ok(ME, token=again["accessToken"])["me"]["email"] == "ada@example.org"


def test_a_stolen_refresh_token_s_reuse_ends_the_access_tokens_too(gql, factory):
    # given: a thief refreshed with a spent token's chain
    factory.user(email="ada@example.org")
    first = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    second = gql.ok(REFRESH, {"t": first["refreshToken"]})["refreshToken"]
    # when: the spent token comes back
    assert error_codes(gql(REFRESH, {"t": first["refreshToken"]})) == ["UNAUTHENTICATED"]
    # then: the access token the chain last gave out ends with it
    assert error_codes(gql(ME, token=second["accessToken"])) == ["UNAUTHENTICATED"]


def test_another_device_refreshes_its_way_back_after_a_logout(gql, factory):
    # given: a laptop and a phone logged in; the laptop logs out
    factory.user(email="ada@example.org")
    laptop = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    phone = gql.ok(LOGIN, {"email": "ada@example.org", "password": PASSWORD})["login"]
    gql.ok(LOGOUT, {"t": laptop["refreshToken"]})
    # then: the phone's access token ended too, but its refresh token still gives a new one
    assert error_codes(gql(ME, token=phone["accessToken"])) == ["UNAUTHENTICATED"]
    renewed = gql.ok(REFRESH, {"t": phone["refreshToken"]})["refreshToken"]
    assert gql.ok(ME, token=renewed["accessToken"])["me"]["email"] == "ada@example.org"

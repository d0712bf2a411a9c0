"""Wrong passwords are throttled per account from one client address, per account and per
client address, over real HTTP. The test server trusts its local client's `X-Forwarded-For`
(uvicorn's `FORWARDED_ALLOW_IPS` default), as a server behind its proxy does: that is how
these tests come from several addresses."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlmodel import select

from models import RateLimitCounter
from tests.factories import PASSWORD

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""


def _login(base: str, email: str, password: str, address: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": LOGIN, "variables": {"email": email, "password": password}},
        headers={"X-Forwarded-For": address} if address else {},
        timeout=60,
    )


def _code(response: httpx.Response) -> str | None:
    errors = response.json().get("errors") or [{}]
    return errors[0].get("extensions", {}).get("code")


def test_an_account_is_refused_after_its_failed_attempts(start_server, factory):
    factory.user(email="ada@example.org")
    base = start_server(login_limit_per_account="3 per 15 minutes")
    for _ in range(3):
        assert _code(_login(base, "ada@example.org", "guess")) == "UNAUTHENTICATED"
    refused = _login(base, "Ada@Example.org ", PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "try again in 15 minutes" in error["message"]
    assert error["extensions"]["retryAfterSeconds"] == int(refused.headers["retry-after"])
    # Another account from the same address is still heard.
    factory.user(email="bob@example.org")
    assert "errors" not in _login(base, "bob@example.org", PASSWORD).json()


def test_a_success_resets_the_account_count_from_its_address(start_server, factory):
    factory.user(email="ada@example.org")
    base = start_server(login_limit_per_client="3 per 15 minutes")
    for _ in range(2):
        _login(base, "ada@example.org", "guess")
    assert "errors" not in _login(base, "ada@example.org", PASSWORD).json()
    for _ in range(2):
        assert _code(_login(base, "ada@example.org", "guess")) == "UNAUTHENTICATED"
    assert "errors" not in _login(base, "ada@example.org", PASSWORD).json()


def test_an_address_is_refused_after_failures_across_accounts(start_server, factory):
    base = start_server(login_limit_per_address="4 per 1 minute")
    for n in range(4):
        assert _code(_login(base, f"nobody{n}@example.org", "guess")) == "UNAUTHENTICATED"
    factory.user(email="ada@example.org")
    refused = _login(base, "ada@example.org", PASSWORD)
    assert refused.status_code == 429
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "from your network" in error["message"]
    assert "seconds" in error["message"]


def test_successful_logins_never_count_against_an_address(start_server, factory):
    users = [factory.user() for _ in range(5)]
    base = start_server(login_limit_per_address="3 per 1 minute")
    for user in users:  # a venue's staff behind one address, all logging in
        assert "errors" not in _login(base, user.email, PASSWORD).json()


def test_workers_on_one_postgresql_share_the_counts(start_server, factory: Any):
    factory.user(email="ada@example.org")
    first = start_server(login_limit_per_account="2 per 15 minutes")
    second = start_server(login_limit_per_account="2 per 15 minutes")
    _login(first, "ada@example.org", "guess")
    _login(second, "ada@example.org", "guess")
    assert _code(_login(first, "ada@example.org", PASSWORD)) == "RATE_LIMITED"
    assert _code(_login(second, "ada@example.org", PASSWORD)) == "RATE_LIMITED"


def test_concurrent_wrong_logins_check_no_more_passwords_than_the_limit(start_server, factory, db):
    # given an account whose count from one address allows 3 failures
    factory.user(email="ada@example.org")
    base = start_server(login_limit_per_client="3 per 15 minutes")
    # when 40 wrong passwords arrive at once from that address
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda _: _login(base, "ada@example.org", "guess"), range(40)))
    # then 3 passwords were checked (wrong), every other try was refused unchecked
    assert Counter(_code(a) for a in answers) == {"UNAUTHENTICATED": 3, "RATE_LIMITED": 37}
    assert {a.status_code for a in answers if _code(a) == "RATE_LIMITED"} == {429}
    hits = sorted(c.hits for c in db.exec(select(RateLimitCounter)).all())
    assert hits == [3, 3, 3]  # the account, the address, the account from the address


def test_the_owner_gets_in_from_elsewhere_while_a_guesser_is_refused(start_server, factory):
    # given a guesser at one address who spent the account's count from there
    factory.user(email="ada@example.org")
    base = start_server(login_limit_per_client="3 per 15 minutes")
    guesser = "203.0.113.66"
    tries = [_login(base, "ada@example.org", f"guess{n}", guesser) for n in range(10)]
    assert [_code(t) for t in tries] == ["UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"] * 7
    [error] = tries[-1].json()["errors"]
    assert "for this account from your address" in error["message"]
    # when the owner logs in from another address
    owner = _login(base, "ada@example.org", PASSWORD, "198.51.100.7")
    # then they get in, and the guesser is still refused
    assert "errors" not in owner.json()
    assert owner.json()["data"]["login"]["accessToken"]
    assert _code(_login(base, "ada@example.org", PASSWORD, guesser)) == "RATE_LIMITED"


def test_the_account_ceiling_stops_guesses_from_many_addresses(start_server, factory):
    # given an account-wide ceiling of 5 failures
    factory.user(email="ada@example.org")
    base = start_server(login_limit_per_account="5 per 15 minutes")
    # when 5 addresses each guess once
    for n in range(5):
        assert (
            _code(_login(base, "ada@example.org", "guess", f"203.0.113.{n}")) == "UNAUTHENTICATED"
        )
    # then a sixth address is refused, and so is the owner until the window ends
    [error] = _login(base, "ada@example.org", "guess", "203.0.113.99").json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["message"].startswith("Too many failed logins for this account;")
    assert "try again in 15 minutes" in error["message"]
    owner = _login(base, "ada@example.org", PASSWORD, "198.51.100.7")
    assert _code(owner) == "RATE_LIMITED"
    # Another account is heard as before.
    factory.user(email="bob@example.org")
    assert "errors" not in _login(base, "bob@example.org", PASSWORD, "203.0.113.99").json()


def test_the_wait_between_failures_from_one_address_grows(start_server, factory):
    # given an account with 3 failures from one address, which are heard without a wait
    factory.user(email="ada@example.org")
    base = start_server()
    for _ in range(3):
        assert _code(_login(base, "ada@example.org", "guess")) == "UNAUTHENTICATED"
    waits, messages = [], []
    for _ in range(2):
        # when it fails again and tries at once
        assert _code(_login(base, "ada@example.org", "guess")) == "UNAUTHENTICATED"
        refused = _login(base, "ada@example.org", PASSWORD)  # even the right password
        # then it is told to wait, longer each time
        assert refused.status_code == 429
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert "for this account from your address" in error["message"]
        assert error["extensions"]["retryAfterSeconds"] == int(refused.headers["retry-after"])
        waits.append(error["extensions"]["retryAfterSeconds"])
        messages.append(error["message"])
        # Another address is heard meanwhile.
        assert _code(_login(base, "ada@example.org", "guess", "198.51.100.7")) == "UNAUTHENTICATED"
        time.sleep(waits[-1] + 0.2)
    assert waits == [1, 2]
    assert [m.rsplit("; ", 1)[1] for m in messages] == [
        "try again in 1 second.",
        "try again in 2 seconds.",
    ]
    # Once the wait has passed, the right password gets in and the count starts again.
    assert "errors" not in _login(base, "ada@example.org", PASSWORD).json()
    for _ in range(3):
        assert _code(_login(base, "ada@example.org", "guess")) == "UNAUTHENTICATED"


def test_spent_windows_are_removed_and_live_ones_kept(start_server, factory, db):
    # given a counter whose window ended and one still running
    db.add(RateLimitCounter(key="address:192.0.2.1", hits=9, expires_at=time.time() - 1))
    db.add(RateLimitCounter(key="address:192.0.2.2", hits=2, expires_at=time.time() + 900))
    db.commit()
    factory.user(email="ada@example.org")
    base = start_server()
    # when a server hears a login
    assert "errors" not in _login(base, "ada@example.org", PASSWORD, "198.51.100.7").json()
    # then the spent window is gone; the running one, and this login's counts, stay
    db.expire_all()
    keys = {c.key for c in db.exec(select(RateLimitCounter)).all()}
    assert "address:192.0.2.1" not in keys
    assert {"address:192.0.2.2", "address:198.51.100.7"} <= keys

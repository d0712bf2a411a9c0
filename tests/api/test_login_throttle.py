"""Wrong passwords are throttled per account and per client address, over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import PG_URL
from tests.factories import PASSWORD

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken } }"""


def _login(base: str, email: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": LOGIN, "variables": {"email": email, "password": password}},
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


def test_a_success_resets_the_account_count(start_server, factory):
    factory.user(email="ada@example.org")
    base = start_server(login_limit_per_account="3 per 15 minutes")
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


@pytest.mark.skipif(not PG_URL, reason="SQLite keeps counts in each worker's memory")
def test_workers_on_one_postgresql_share_the_counts(start_server, factory: Any):
    factory.user(email="ada@example.org")
    first = start_server(login_limit_per_account="2 per 15 minutes")
    second = start_server(login_limit_per_account="2 per 15 minutes")
    _login(first, "ada@example.org", "guess")
    _login(second, "ada@example.org", "guess")
    assert _code(_login(first, "ada@example.org", PASSWORD)) == "RATE_LIMITED"
    assert _code(_login(second, "ada@example.org", PASSWORD)) == "RATE_LIMITED"

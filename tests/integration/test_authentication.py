"""Authentication through visited-aaa: the first one delegated by home-aaa,
the next ones local; home authentication; failures that must change no
state (protocol.md sec. 3, 5)."""

from __future__ import annotations

import re

from conftest import L, assert_failure, assert_success, new_subscriber, random_key


def test_first_authentication_fetches_one_vector_and_shares_the_msk(lab):
    sub = new_subscriber(lab, "first")
    j = assert_success(lab.auth(sub.nai))
    assert j["nai"] == sub.nai
    assert j["home_auth"] is False
    vectors = lab.delegations(sub.nai)
    assert len(vectors) == 1, vectors
    assert lab.generation_of(vectors[0]) == j["generation"]


def test_second_authentication_is_local(lab):
    sub = new_subscriber(lab, "second")
    first = assert_success(lab.auth(sub.nai))
    second = assert_success(lab.auth(sub.nai))
    assert second["generation"] == first["generation"]
    assert second["eap_key_name"] != first["eap_key_name"]  # fresh nonces, fresh session
    assert lab.generations(sub.nai) == [first["generation"]], "the second authentication cost a new delegation"


def test_home_authentication_with_a_host_challenge(lab):
    sub = new_subscriber(lab, "homeauth")
    j = assert_success(lab.auth(sub.nai, home_auth=True))
    assert j["home_auth"] is True
    j = assert_success(lab.auth(sub.nai, home_auth=True))  # with the cached TSK: HAR to home
    assert j["home_auth"] is True
    assert len(lab.delegations(sub.nai)) == 1


def test_mobile_rejects_a_wrong_home_auth(lab):
    sub = new_subscriber(lab, "badhome")
    j = assert_failure(lab.auth(sub.nai, home_auth=True, tamper="rogue-home-auth"))
    assert re.search(r"home[ _-]?auth", j.get("reason", ""), re.I), j
    assert_success(lab.auth(sub.nai, home_auth=True))


def test_wrong_key_at_the_mobile_changes_no_state(lab):
    sub = new_subscriber(lab, "wrongk")
    good = assert_success(lab.auth(sub.nai))
    state = lab.state_file(sub.nai)
    mobile_before = state.read_text() if state.exists() else None
    generations_before = lab.generations(sub.nai)

    assert_failure(lab.auth(sub.nai, key=random_key()))

    assert lab.generations(sub.nai) == generations_before
    assert (state.read_text() if state.exists() else None) == mobile_before
    again = assert_success(lab.auth(sub.nai))
    assert again["generation"] == good["generation"]
    assert lab.daemon("visited-aaa").running()


def test_unknown_user(lab):
    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    assert_failure(lab.auth(f"nobody-{random_key()[:6]}@{L.HOME_REALM}", key=random_key()))
    assert "5401" in visited.log_since(mark), "visited-aaa did not log USER_UNKNOWN (5401)"


def test_barred_subscriber_until_unbarred(lab):
    sub = new_subscriber(lab, "barred")
    lab.home_cli("subscriber", "bar", "--nai", sub.nai)
    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    assert_failure(lab.auth(sub.nai))
    assert "5403" in visited.log_since(mark), "visited-aaa did not log SUBSCRIBER_BARRED (5403)"
    assert lab.delegations(sub.nai) == []

    lab.home_cli("subscriber", "unbar", "--nai", sub.nai)
    assert_success(lab.auth(sub.nai))

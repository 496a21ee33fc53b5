"""Revocation (protocol.md sec. 3, Delegation-Revoke): at most one active
delegation per subscriber, so a delegation to a second visited realm
revokes the first (NEW_DELEGATION); the operator revokes with `home-aaa
revoke`, and barring or removing a subscriber revokes too. The visited
host drops the vectors and answers DRA; a DRR it cannot receive now is
retried and visible to the operator meanwhile."""

from __future__ import annotations

import re

import pytest

from conftest import L, assert_failure, assert_success, new_subscriber, wait_for_log

OTHER_REALM = "other.example"


def _drr_at(nai: str) -> str:
    # visited-aaa, home_requests_path.cc
    return rf"DRR nai={re.escape(nai)} from realm {re.escape(L.HOME_REALM)} cause=(\d+) generation=(\S+): (.*)"


def _revocations_delivered(lab: L.Lab, nai: str, count: int = 1) -> dict:
    return lab.wait_delegation_status(
        nai, lambda st: len(st["revocations"]) >= count and all(r["state"] == "delivered" for r in st["revocations"]),
        what=f"{count} DRR delivered")


@pytest.fixture(scope="module")
def lab(make_module_lab):
    """The standard lab plus visited-other (other.example), a second roaming partner."""
    lab = make_module_lab("revocation").standard()
    other = lab.add_visited("visited-other", "aaa.other.example", OTHER_REALM, home=lab.home_node())
    lab.add_client("client-other", "nas1.other.example", server=other)
    lab.write_configs()
    lab.start_all()
    return lab


def test_delegation_to_a_second_realm_revokes_the_first(lab):
    sub = new_subscriber(lab, "tworealms")
    first = assert_success(lab.auth(sub.nai))  # cached at visited-aaa (visited.example)

    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    # A mobile state of its own at other.example: what visited-aaa does next
    # must come from the revocation, not from a STALE_GENERATION error.
    elsewhere = assert_success(lab.auth(sub.nai, client="client-other", state=lab.dir / "mobiles" / "other.json"))
    assert elsewhere["generation"] > first["generation"]
    m = wait_for_log(lab, "visited-aaa", _drr_at(sub.nai), mark, "the NEW_DELEGATION DRR at visited-aaa")
    assert m.group(1) == "1", m.group(0)  # Revocation-Cause NEW_DELEGATION
    assert m.group(3).startswith("dropped the vector"), m.group(0)

    st = _revocations_delivered(lab, sub.nai)
    assert [(r["visited_host"], r["cause"]) for r in st["revocations"]] == [(L.VISITED_IDENTITY, "NEW_DELEGATION")]
    assert (st["delegation"]["visited_realm"], st["delegation"]["active"]) == (OTHER_REALM, True), st["delegation"]

    # visited-aaa no longer serves the NAI from its cache: it needs a new DLR.
    mark = visited.log_mark()
    back = assert_success(lab.auth(sub.nai))
    assert back["generation"] > elsewhere["generation"], back
    assert f"DLR nai={sub.nai}" in visited.log_since(mark)
    assert back["diameter_round_trips"] == first["diameter_round_trips"], "not revoked: a STALE_GENERATION retry"
    vectors = lab.delegations(sub.nai)
    assert [(v["generation"], v["visited_realm"]) for v in vectors] == [
        (first["generation"], L.VISITED_REALM), (elsewhere["generation"], OTHER_REALM),
        (back["generation"], L.VISITED_REALM)], vectors
    # ... and that delegation revoked the one to other.example in turn.
    wait_for_log(lab, "visited-other", _drr_at(sub.nai), 0, "the NEW_DELEGATION DRR at visited-other")


def test_operator_revoke(lab):
    sub = new_subscriber(lab, "revoked")
    first = assert_success(lab.auth(sub.nai))
    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    out = lab.home_cli("revoke", "--nai", sub.nai, "--cause", "key-compromised").stdout
    assert "DRR queued" in out, out
    m = wait_for_log(lab, "visited-aaa", _drr_at(sub.nai), mark, "the operator's DRR at visited-aaa")
    assert m.group(1) == "3", m.group(0)  # KEY_COMPROMISED
    st = _revocations_delivered(lab, sub.nai)
    assert st["revocations"][0]["cause"] == "KEY_COMPROMISED"
    assert st["delegation"] is None or st["delegation"]["active"] is False, st["delegation"]

    mark = visited.log_mark()
    again = assert_success(lab.auth(sub.nai))
    assert again["generation"] > first["generation"]
    assert f"DLR nai={sub.nai}" in visited.log_since(mark)


def test_revoke_without_delegation_changes_nothing(lab):
    sub = new_subscriber(lab, "idle")
    r = lab.home_cli("revoke", "--nai", sub.nai)
    assert "nothing to revoke" in r.stdout, r.stdout
    assert lab.delegation_status(sub.nai)["revocations"] == []


def test_barring_revokes_the_active_delegation(lab):
    sub = new_subscriber(lab, "barredlater")
    assert_success(lab.auth(sub.nai))
    mark = lab.daemon("visited-aaa").log_mark()
    out = lab.home_cli("subscriber", "bar", "--nai", sub.nai).stdout
    assert "revoked its delegation" in out, out
    m = wait_for_log(lab, "visited-aaa", _drr_at(sub.nai), mark, "the DRR of a barred subscriber")
    assert m.group(1) == "2", m.group(0)  # SUBSCRIPTION_WITHDRAWN
    mark = lab.daemon("visited-aaa").log_mark()
    assert_failure(lab.auth(sub.nai))  # no cached TSK left: the DLR answers 5403
    assert "5403" in lab.daemon("visited-aaa").log_since(mark)

    lab.home_cli("subscriber", "unbar", "--nai", sub.nai)
    assert_success(lab.auth(sub.nai))


def test_removal_revokes_the_active_delegation(lab):
    sub = new_subscriber(lab, "removed")
    assert_success(lab.auth(sub.nai))
    mark = lab.daemon("visited-aaa").log_mark()
    lab.home_cli("subscriber", "remove", "--nai", sub.nai)
    wait_for_log(lab, "visited-aaa", _drr_at(sub.nai), mark, "the DRR of a removed subscriber")
    mark = lab.daemon("visited-aaa").log_mark()
    assert_failure(lab.auth(sub.nai))
    assert "5401" in lab.daemon("visited-aaa").log_since(mark)


def test_revocation_of_an_unreachable_visited_host_is_retried(make_lab):
    lab = make_lab("drrretry").standard()
    lab.write_configs()
    lab.start_all()
    sub = new_subscriber(lab, "unreachable")
    assert_success(lab.auth(sub.nai))
    assert lab.stop("visited-aaa") == 0

    lab.home_cli("revoke", "--nai", sub.nai)
    # Visible to the operator while undelivered: pending, attempts, last error.
    st = lab.wait_delegation_status(
        sub.nai, lambda st: st["revocations"] and st["revocations"][0]["attempts"] >= 1,
        what="a failed DRR attempt")
    r = st["revocations"][0]
    assert r["state"] == "pending" and r["last_error"], r
    text = lab.home_cli("delegations", "--nai", sub.nai).stdout
    assert re.search(r"revocations \(DRR\):", text) and "pending" in text, text

    mark = lab.daemon("visited-aaa").log_mark()
    lab.start("visited-aaa")
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "up", since=mark)
    wait_for_log(lab, "visited-aaa", _drr_at(sub.nai), mark, "the retried DRR")
    st = _revocations_delivered(lab, sub.nai)
    assert st["revocations"][0]["attempts"] >= 2, st["revocations"]

"""Duplicate detection at home-aaa (protocol.md sec. 3, RFC 6733 sec.
6.1.9): a request repeating an (Origin-Host, End-to-End-Identifier) seen in
the last 4 minutes, with or without the T flag, gets the first answer
again and changes no state; a retried DLR never costs a second key
generation. A KUR repeated as a new request (the visited outbox's retry)
is recorded once. freeDiameter clients do not repeat a request on
purpose, so these tests speak Diameter themselves (diameter_probe.py), as
the lab's interop visited AAA."""

from __future__ import annotations

import pytest

from conftest import L, delegation_session, new_subscriber
from diameter_probe import (DIAMETER_SUCCESS, KEY_UPDATE_UPDATED, random_identifier, tsk_vector)

USER_UNKNOWN = 5401
UNKNOWN_KEY_GENERATION = 5404


@pytest.fixture(scope="module")
def lab(make_module_lab):
    lab = make_module_lab("duplicates").standard()
    lab.write_configs()
    lab.start_all()
    return lab


def _vector(answer):
    assert answer.result_code() == DIAMETER_SUCCESS, answer
    v = tsk_vector(answer)
    assert v is not None and len(v.rand) == 16, answer
    return v


def test_retransmitted_dlr_yields_the_same_rand_and_generation(lab):
    sub = new_subscriber(lab, "retransmitted")
    e2e = random_identifier()
    with delegation_session(lab) as s:
        sid = s.new_session_id()
        first = _vector(s.request(s.delegation_request(sub.nai, session_id=sid, end_to_end=e2e)))
        with_t = _vector(s.request(s.delegation_request(sub.nai, session_id=sid, end_to_end=e2e,
                                                        retransmitted=True)))
        without_t = _vector(s.request(s.delegation_request(sub.nai, session_id=sid, end_to_end=e2e)))
    for again in (with_t, without_t):
        assert (again.rand, again.generation, again.tsk) == (first.rand, first.generation, first.tsk)
    vectors = lab.delegations(sub.nai)
    assert [(v["generation"], v["rand"]) for v in vectors] == [(first.generation, first.rand.hex())], vectors

    # A new End-to-End-Identifier is a new request: the next generation.
    with delegation_session(lab) as s:
        fresh = _vector(s.request(s.delegation_request(sub.nai)))
    assert fresh.generation == first.generation + 1 and fresh.rand != first.rand
    assert len(lab.delegations(sub.nai)) == 2


def test_dlr_retransmitted_over_a_new_connection(lab):
    """The T flag's own case: the first link failed, the request is sent again on another."""
    sub = new_subscriber(lab, "failover")
    e2e = random_identifier()
    with delegation_session(lab) as s:
        sid = s.new_session_id()
        first = _vector(s.request(s.delegation_request(sub.nai, session_id=sid, end_to_end=e2e)))
    with delegation_session(lab) as s:
        again = _vector(s.request(s.delegation_request(sub.nai, session_id=sid, end_to_end=e2e, retransmitted=True)))
    assert (again.rand, again.generation) == (first.rand, first.generation)
    assert len(lab.delegations(sub.nai)) == 1


def test_repeated_kur_is_recorded_once(lab):
    sub = new_subscriber(lab, "reported")
    with delegation_session(lab) as s:
        g = _vector(s.request(s.delegation_request(sub.nai))).generation
        e2e = random_identifier()
        sid = s.new_session_id()
        answers = [
            s.request(s.key_update_report(sub.nai, g, KEY_UPDATE_UPDATED, session_id=sid, end_to_end=e2e)),
            # the same request again (duplicate detection: first answer, no state change)
            s.request(s.key_update_report(sub.nai, g, KEY_UPDATE_UPDATED, session_id=sid, end_to_end=e2e,
                                          retransmitted=True)),
            # the visited outbox's retry: a new request with the same content
            s.request(s.key_update_report(sub.nai, g, KEY_UPDATE_UPDATED)),
        ]
    assert [a.result_code() for a in answers] == [DIAMETER_SUCCESS] * 3
    st = lab.delegation_status(sub.nai)
    assert st["mobile_generation"] == g, st
    reports = [k for k in st["key_updates"] if k["generation"] == g]
    assert len(reports) == 1 and reports[0]["status"] == "UPDATED", st["key_updates"]
    assert reports[0]["reports"] == 2, "the duplicate was handled again, or the retry not counted"
    assert reports[0]["visited_host"] == L.INTEROP_VISITED_IDENTITY


def test_kur_for_a_generation_never_issued_to_that_realm(lab):
    sub = new_subscriber(lab, "notissued")
    with delegation_session(lab) as s:
        g = _vector(s.request(s.delegation_request(sub.nai))).generation
        assert s.request(s.key_update_report(sub.nai, g + 5)).result_code() == UNKNOWN_KEY_GENERATION
        unknown = f"nobody-{random_identifier()}@{L.HOME_REALM}"
        assert s.request(s.key_update_report(unknown, 1)).result_code() == USER_UNKNOWN
    assert lab.delegation_status(sub.nai)["mobile_generation"] != g + 5

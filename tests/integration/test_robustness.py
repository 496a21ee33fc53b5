"""Malformed input from an AAA client ends its conversation with a clean
failure and the daemon keeps serving (protocol.md sec. 4, 5)."""

from __future__ import annotations

from conftest import assert_failure, assert_success, new_subscriber


def test_malformed_eap_tsk_packet(lab):
    sub = new_subscriber(lab, "malformed")
    assert_failure(lab.auth(sub.nai, tamper="malformed"))
    assert lab.daemon("visited-aaa").running()
    assert_success(lab.auth(sub.nai))


def test_der_without_eap_payload(lab):
    sub = new_subscriber(lab, "nopayload")
    j = assert_failure(lab.auth(sub.nai, tamper="no-eap-payload"))
    assert j.get("result_code") == 5005, j  # DIAMETER_MISSING_AVP
    assert lab.daemon("visited-aaa").running()
    assert_success(lab.auth(sub.nai))

"""TLS on the AAA client link: only certificates of the trusted CA, and
only for the identity the peer claims in its CER (notes sec. 4, the
inbound identity gap that the daemons close)."""

from __future__ import annotations

from diameter_probe import DELEGATION_APPLICATION_ID, ROAMKEY_VENDOR_ID, capabilities_exchange

from conftest import L, assert_failure, assert_success, new_subscriber


def _probe(lab, credential, origin_host):
    visited = lab.nodes["visited-aaa"]
    return capabilities_exchange(visited.host, visited.port, server_identity=visited.identity,
                                 ca=lab.ca.certificate, certificate=credential.certificate,
                                 private_key=credential.private_key, origin_host=origin_host,
                                 origin_realm=L.VISITED_REALM)


def _probe_home(lab, credential, origin_host):
    home = lab.nodes["home-aaa"]
    return capabilities_exchange(home.host, home.port, server_identity=home.identity, ca=lab.ca.certificate,
                                 certificate=credential.certificate, private_key=credential.private_key,
                                 origin_host=origin_host, origin_realm=L.VISITED_REALM, auth_app_ids=(),
                                 vendor_apps=((ROAMKEY_VENDOR_ID, DELEGATION_APPLICATION_ID),))


def test_listed_client_with_its_own_certificate_is_accepted(lab):
    # Also proves that the probe's CER is well formed, so that the refusals below mean what they say.
    cred = lab.credential(L.INTEROP_CLIENT_IDENTITY)
    outcome = _probe(lab, cred, L.INTEROP_CLIENT_IDENTITY)
    assert outcome.accepted, outcome


def test_client_certificate_from_another_ca_is_refused(lab):
    sub = new_subscriber(lab, "rogueca")
    rogue = lab.other_ca("rogue")
    cred = rogue.issue(L.CLIENT_IDENTITY, rogue.directory)
    client = lab.add_client("client-rogue-ca", L.CLIENT_IDENTITY, server=lab.nodes["visited-aaa"], timeout=5,
                            credential=cred, ca_files=[rogue.certificate, lab.ca.certificate])
    lab.write_config(client)
    assert_failure(lab.auth(sub.nai, client=client), rc=L.EXIT_UNREACHABLE)
    assert_success(lab.auth(sub.nai))


def test_impostor_with_a_certificate_for_another_identity_is_refused(lab):
    cred = lab.credential("evil.visited.example")
    outcome = _probe(lab, cred, L.CLIENT_IDENTITY)
    assert not outcome.accepted, f"impostor got in: {outcome}"
    assert lab.daemon("visited-aaa").running()
    assert_success(lab.auth(new_subscriber(lab, "afterimpostor").nai))


def test_client_not_listed_in_aaa_clients_is_refused(lab):
    cred = lab.credential("stranger.visited.example")
    outcome = _probe(lab, cred, "stranger.visited.example")
    assert not outcome.accepted, f"unlisted AAA client got in: {outcome}"


def test_home_accepts_a_listed_roaming_partner_peer(lab):
    outcome = _probe_home(lab, lab.credential(L.INTEROP_VISITED_IDENTITY), L.INTEROP_VISITED_IDENTITY)
    assert outcome.accepted, outcome


def test_home_refuses_an_impostor_of_the_visited_aaa(lab):
    visited = lab.daemon("visited-aaa")
    outcome = _probe_home(lab, lab.credential("evil.visited.example"), L.VISITED_IDENTITY)
    assert not outcome.accepted, f"impostor got in: {outcome}"
    # The real visited-aaa keeps its link and its service.
    assert visited.running()
    assert_success(lab.auth(new_subscriber(lab, "afterhomeimpostor").nai))

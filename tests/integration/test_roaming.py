"""Roaming policy at home-aaa (5402) and key generations across two
visited domains (STALE_GENERATION, protocol.md sec. 5 step 2)."""

from __future__ import annotations

import json

import pytest

from conftest import L, assert_failure, assert_success, new_subscriber

OTHER_REALM = "other.example"
ROGUE_REALM = "rogue.example"


@pytest.fixture(scope="module")
def lab(make_module_lab):
    """The standard lab plus visited-other (other.example, a roaming
    partner) and visited-rogue: realm rogue.example, no roaming partner,
    although home-aaa accepts its identity as a peer (listed under
    visited.example), so that its DLR reaches the policy check."""
    lab = make_module_lab("roaming").standard()
    home = lab.home_node()
    other = lab.add_visited("visited-other", "aaa.other.example", OTHER_REALM, home=home)
    lab.add_client("client-other", "nas1.other.example", server=other)
    rogue = lab.add_visited("visited-rogue", "aaa.rogue.example", ROGUE_REALM, home=home, partner=False)
    lab.add_partner(home, L.VISITED_REALM, [rogue.identity])
    lab.add_client("client-rogue", "nas1.rogue.example", server=rogue)
    lab.write_configs()
    for name in ("home-aaa", "visited-aaa", "visited-other"):
        d = lab.daemon(name)
        mark = d.log_mark()
        d.start()
        if d.node.kind == "visited":
            lab.wait_peer(name, L.HOME_IDENTITY, since=mark)
    return lab


def test_subscriber_not_allowed_in_that_realm(lab):
    sub = new_subscriber(lab, "restricted", realms=[L.VISITED_REALM])
    other = lab.daemon("visited-other")
    mark = other.log_mark()
    assert_failure(lab.auth(sub.nai, client="client-other"))
    assert "5402" in other.log_since(mark), "visited-other did not log ROAMING_NOT_ALLOWED (5402)"
    assert_success(lab.auth(sub.nai))  # allowed in visited.example


def test_realm_that_is_no_roaming_partner(lab):
    rogue = lab.daemon("visited-rogue")
    mark = rogue.log_mark()
    rogue.start()
    lab.wait_peer("visited-rogue", L.HOME_IDENTITY, since=mark)
    sub = new_subscriber(lab, "nopartner", realms=[L.VISITED_REALM, OTHER_REALM])
    mark = rogue.log_mark()
    assert_failure(lab.auth(sub.nai, client="client-rogue"))
    assert "5402" in rogue.log_since(mark), "visited-rogue did not log ROAMING_NOT_ALLOWED (5402)"
    assert lab.delegations(sub.nai) == []


def _integers(value):
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [i for v in value for i in _integers(v)]
    return []


def test_stale_generation_makes_the_visited_domain_refetch(lab):
    """The mobile holds a newer generation than the vector visited-aaa has
    cached. Since the home revokes a delegation when another realm gets one
    (test_revocation.py), this happens only while that revocation has not
    reached visited-aaa; the test writes the mobile's state as if it had
    accepted the next generation elsewhere meanwhile."""
    sub = new_subscriber(lab, "stale", realms=[L.VISITED_REALM, OTHER_REALM])
    first = assert_success(lab.auth(sub.nai))  # cached at visited-aaa
    state_file = lab.state_file(sub.nai)
    state = json.loads(state_file.read_text())
    assert first["generation"] in _integers(state), f"the mobile's state does not hold it: {state}"
    state["subscribers"][sub.nai]["highest_generation"] = first["generation"] + 1
    state_file.write_text(json.dumps(state))

    back = assert_success(lab.auth(sub.nai))  # visited-aaa's cached vector is now stale
    assert back["generation"] > first["generation"]
    # In the same conversation: Error STALE_GENERATION, then a new Challenge.
    assert back["diameter_round_trips"] == first["diameter_round_trips"] + 1, back
    assert max(lab.generations(sub.nai)) == back["generation"]

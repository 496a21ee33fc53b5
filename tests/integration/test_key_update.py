"""Key rotation and the update exchange (protocol.md sec. 3 Key-Push and
Key-Update-Report, sec. 5 steps 7-11): the home pushes the next
generation to the visited host holding the delegation, the visited host
offers it to the mobile at its next authentication, and the home hears
how that ended, at least once, across a visited-aaa restart too."""

from __future__ import annotations

import re

import pytest

from conftest import (L, assert_failure, assert_success, mobile_generation, new_subscriber, wait_for_log)

OTHER_REALM = "other.example"


def _kpr_pending(nai: str) -> str:
    # visited-aaa, home_requests_path.cc: the pushed vector is kept as pending.
    return rf"KPR nai={re.escape(nai)} generation=(\d+) from realm {re.escape(L.HOME_REALM)}: pending"


def _rotate(lab: L.Lab, nai: str, visited: str = "visited-aaa") -> int:
    """`home-aaa rotate --nai`, then waits until the visited host holds the
    pushed generation as pending; returns that generation."""
    mark = lab.daemon(visited).log_mark()
    out = lab.home_cli("rotate", "--nai", nai).stdout
    assert "queued" in out, out
    m = wait_for_log(lab, visited, _kpr_pending(nai), mark, f"the KPR for {nai} pending at {visited}")
    return int(m.group(1))


def _home_records(lab: L.Lab, nai: str, generation: int) -> dict:
    return lab.wait_delegation_status(nai, lambda st: st["mobile_generation"] == generation,
                                      what=f"home-aaa records that the mobile holds generation {generation}")


@pytest.fixture(scope="module")
def lab(make_module_lab):
    lab = make_module_lab("keyupdate").standard()
    lab.write_configs()
    lab.start_all()
    return lab


def test_pushed_rotation_completes_on_the_next_authentication(lab):
    sub = new_subscriber(lab, "rotated")
    first = assert_success(lab.auth(sub.nai))
    assert first["key_updated"] is False

    pushed = _rotate(lab, sub.nai)
    assert pushed == first["generation"] + 1
    st = lab.delegation_status(sub.nai)
    assert any(p["generation"] == pushed for p in st["key_pushes"]), st

    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    updated = assert_success(lab.auth(sub.nai))
    assert updated["key_updated"] is True, updated
    assert updated["highest_generation"] == pushed, updated
    assert mobile_generation(lab, sub.nai) == pushed
    log = visited.log_since(mark)
    assert f"key update nai={sub.nai} generation={pushed}: UPDATED" in log, log
    assert f"DLR nai={sub.nai}" not in log, "the update cost a delegation request"

    st = _home_records(lab, sub.nai, pushed)
    reports = [k for k in st["key_updates"] if k["generation"] == pushed]
    assert [k["status"] for k in reports] == ["UPDATED"], st["key_updates"]
    assert reports[0]["visited_host"] == L.VISITED_IDENTITY
    assert [p["state"] for p in st["key_pushes"] if p["generation"] == pushed] == ["updated"], st["key_pushes"]
    show = lab.home_cli("subscriber", "show", "--nai", sub.nai).stdout
    assert re.search(rf"mobile holds:\s+generation {pushed}\b", show), show

    # The new TSK now serves locally: no update, no delegation request.
    mark = visited.log_mark()
    again = assert_success(lab.auth(sub.nai))
    assert (again["generation"], again["key_updated"]) == (pushed, False), again
    assert f"DLR nai={sub.nai}" not in visited.log_since(mark)
    assert max(lab.generations(sub.nai)) == pushed


def test_rotation_without_delegation_is_refused_by_the_operator_tool(lab):
    sub = new_subscriber(lab, "nodelegation")
    r = lab.home_cli("rotate", "--nai", sub.nai, check=False)
    assert r.returncode == 1, r
    assert "no active delegation" in r.stderr, r.stderr


def test_mobile_that_rejects_auth_net_keeps_its_old_key(lab):
    sub = new_subscriber(lab, "rejecting")
    first = assert_success(lab.auth(sub.nai))
    pushed = _rotate(lab, sub.nai)

    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    # sec. 5 step 10-11: the mobile answers UPDATE_AUTH_FAILED, the server
    # keeps the old TSK, ends with EAP-Failure and reports REJECTED_BY_MN.
    rejected = assert_failure(lab.auth(sub.nai, extra=["--reject-update"]))
    assert rejected["key_updated"] is False, rejected
    assert mobile_generation(lab, sub.nai) == first["generation"]
    assert f"key update nai={sub.nai} generation={pushed}: REJECTED_BY_MN" in visited.log_since(mark)

    st = lab.wait_delegation_status(
        sub.nai, lambda st: any(k["generation"] == pushed for k in st["key_updates"]),
        what="home-aaa receives the REJECTED_BY_MN report")
    assert [k["status"] for k in st["key_updates"] if k["generation"] == pushed] == ["REJECTED_BY_MN"]
    assert st["mobile_generation"] != pushed, st
    assert [p["state"] for p in st["key_pushes"] if p["generation"] == pushed] == ["rejected"], st["key_pushes"]

    # The old key still works, locally, and nothing is offered again.
    mark = visited.log_mark()
    again = assert_success(lab.auth(sub.nai))
    assert (again["generation"], again["key_updated"]) == (first["generation"], False), again
    assert f"DLR nai={sub.nai}" not in visited.log_since(mark)


def test_a_later_rotation_after_a_rejected_one_still_completes(lab):
    sub = new_subscriber(lab, "retry")
    assert_success(lab.auth(sub.nai))
    _rotate(lab, sub.nai)
    assert_failure(lab.auth(sub.nai, extra=["--reject-update"]))
    pushed = _rotate(lab, sub.nai)
    updated = assert_success(lab.auth(sub.nai))
    assert (updated["key_updated"], updated["highest_generation"]) == (True, pushed), updated
    _home_records(lab, sub.nai, pushed)


def test_mobile_that_never_answers_the_update_keeps_its_key(lab):
    sub = new_subscriber(lab, "silent")
    first = assert_success(lab.auth(sub.nai))
    pushed = _rotate(lab, sub.nai)
    silent = assert_failure(lab.auth(sub.nai, extra=["--silent-update"]))
    assert silent["key_updated"] is False, silent
    assert mobile_generation(lab, sub.nai) == first["generation"]
    # Nothing was verified, so nothing changed: the pushed vector is still
    # pending, and the next authentication completes the update.
    updated = assert_success(lab.auth(sub.nai))
    assert (updated["key_updated"], updated["highest_generation"]) == (True, pushed), updated
    _home_records(lab, sub.nai, pushed)


def test_report_survives_a_visited_restart(make_lab):
    """home-aaa down: the update runs locally, its KUR waits in visited-aaa's
    outbox (state.path); visited-aaa restarts; once home-aaa is back the
    report arrives."""
    lab = make_lab("kurrestart").standard()
    lab.write_configs()
    lab.start_all()
    sub = new_subscriber(lab, "outbox")
    first = assert_success(lab.auth(sub.nai))
    pushed = _rotate(lab, sub.nai)

    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    assert lab.stop("home-aaa") == 0
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "down", since=mark)

    updated = assert_success(lab.auth(sub.nai))
    assert (updated["key_updated"], updated["highest_generation"]) == (True, pushed), updated
    assert updated["generation"] == first["generation"]  # authenticated with the old TSK, then updated
    wait_for_log(lab, "visited-aaa", rf"KUR nai={re.escape(sub.nai)} generation={pushed} status=UPDATED", mark,
                 "the first KUR attempt")

    assert lab.stop("visited-aaa") == 0
    mark = visited.log_mark()
    lab.start("visited-aaa")
    wait_for_log(lab, "visited-aaa", r"1 key update report\(s\) from before the restart will be sent again", mark,
                 "the outbox read back after the restart")

    mark = visited.log_mark()
    lab.start("home-aaa")
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "up", since=mark)
    st = _home_records(lab, sub.nai, pushed)
    assert [k["status"] for k in st["key_updates"] if k["generation"] == pushed] == ["UPDATED"], st["key_updates"]
    assert "home refused the KUR" not in visited.log_since(mark)

    # The restarted visited-aaa lost its cache: the mobile, at generation
    # `pushed`, gets a newer vector with a delegation request.
    after = assert_success(lab.auth(sub.nai))
    assert after["generation"] > pushed


@pytest.fixture(scope="module")
def policy_lab(make_module_lab):
    """Per-partner delegation policy: visited.example rotates every 2 s;
    other.example does not rotate but allows one use per TSK; the top-level
    policy does neither."""
    lab = make_module_lab("policy").standard(partner_delegation={"rotation_interval": 2})
    home = lab.home_node()
    other = lab.add_visited("visited-other", "aaa.other.example", OTHER_REALM, home=home)
    lab.add_partner(home, OTHER_REALM, [], delegation={"tsk_max_uses": 1})
    lab.add_client("client-other", "nas1.other.example", server=other)
    lab.write_configs()
    lab.start_all()
    return lab


def test_rotation_interval_pushes_without_the_operator(policy_lab):
    lab = policy_lab
    elsewhere = new_subscriber(lab, "norotation")
    first_elsewhere = assert_success(lab.auth(elsewhere.nai, client="client-other"))

    sub = new_subscriber(lab, "interval")
    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    first = assert_success(lab.auth(sub.nai))
    m = wait_for_log(lab, "visited-aaa", _kpr_pending(sub.nai), mark, "an automatic KPR (rotation_interval 2 s)")
    assert int(m.group(1)) > first["generation"]
    # A second push proves the interval repeats, and that other.example's
    # older delegation, which would be due by now, was left alone.
    m = wait_for_log(lab, "visited-aaa", _kpr_pending(sub.nai).replace(r"(\d+)", str(first["generation"] + 2)),
                     mark, "a second automatic KPR")
    assert lab.delegation_status(elsewhere.nai)["key_pushes"] == []

    updated = assert_success(lab.auth(sub.nai))
    assert updated["key_updated"] is True, updated
    assert updated["highest_generation"] > first["generation"] + 1
    _home_records(lab, sub.nai, updated["highest_generation"])

    # other.example's own policy: one local use per TSK.
    again = assert_success(lab.auth(elsewhere.nai, client="client-other"))
    assert again["generation"] > first_elsewhere["generation"], again

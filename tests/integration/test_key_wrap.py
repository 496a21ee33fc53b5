"""Wrapped-TSK-Key (protocol.md sec. 2 end, sec. 3): with a KEK agreed for
a roaming partner, home-aaa sends that partner the TSK only wrapped
(RFC 3394) and names the KEK in Key-Wrap-Key-Id; visited-aaa accepts any
KEK listed for the home realm, so that a partner rolls its KEK over
without a failed authentication, and refuses cleanly a vector wrapped
under a KEK it does not know."""

from __future__ import annotations

import re

from conftest import L, assert_failure, assert_success, delegation_session, new_subscriber, wait_for_log
from diameter_probe import DIAMETER_SUCCESS, tsk_vector
from key_math import aes_key_unwrap, derive_tsk, read_key_file

KEK_A, KEK_B, KEK_C = "2026-a", "2026-b", "2026-c"


def _started(make_lab, name, **standard):
    lab = make_lab(name).standard(**standard)
    lab.write_configs()
    lab.start_all()
    return lab


def _restart_home(lab: L.Lab) -> None:
    """Writes home-aaa's configuration again and restarts it; waits until
    visited-aaa has its link back."""
    mark = lab.daemon("visited-aaa").log_mark()
    assert lab.stop("home-aaa") == 0
    lab.write_config(lab.home_node())
    lab.start("home-aaa")
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "up", since=mark)


def _wire_vector(lab: L.Lab, sub: L.Subscriber):
    """A DLR of the interop visited AAA (realm visited.example, the same
    partner entry as visited-aaa): the TSK-Vector exactly as home-aaa sends it."""
    with delegation_session(lab) as s:
        dla = s.request(s.delegation_request(sub.nai))
    assert dla.result_code() == DIAMETER_SUCCESS, dla
    v = tsk_vector(dla)
    assert v is not None, "DLA 2001 without TSK-Vector"
    return v


def _assert_wrapped_under(lab: L.Lab, sub: L.Subscriber, kek_id: str) -> None:
    v = _wire_vector(lab, sub)
    assert v.tsk is None, "the TSK travelled in clear to a partner with wrap_with"
    assert v.key_wrap_key_id == kek_id, v
    assert v.wrapped_tsk is not None and len(v.wrapped_tsk) == 40, v
    kek = read_key_file(lab.kek_file(L.VISITED_REALM, kek_id))
    expected = derive_tsk(bytes.fromhex(sub.k), v.rand, L.VISITED_REALM, v.generation)
    assert aes_key_unwrap(kek, v.wrapped_tsk) == expected, "Wrapped-TSK-Key is not the RFC 3394 wrap of the TSK"


def test_without_wrap_with_the_tsk_travels_in_clear(make_lab):
    lab = _started(make_lab, "clear")
    sub = new_subscriber(lab, "clear")
    v = _wire_vector(lab, sub)
    assert v.wrapped_tsk is None and v.key_wrap_key_id is None, v
    assert v.tsk == derive_tsk(bytes.fromhex(sub.k), v.rand, L.VISITED_REALM, v.generation)


def test_kek_roll_over_causes_no_failure(make_lab):
    lab = _started(make_lab, "rollover", keks=[KEK_A, KEK_B], wrap_with=KEK_A)
    early = new_subscriber(lab, "early")
    first = assert_success(lab.auth(early.nai))
    _assert_wrapped_under(lab, new_subscriber(lab, "wire-a"), KEK_A)

    # Step 1 of the roll-over: the home wraps under b; visited-aaa knows both.
    lab.partner(lab.home_node(), L.VISITED_REALM)["wrap_with"] = KEK_B
    _restart_home(lab)
    _assert_wrapped_under(lab, new_subscriber(lab, "wire-b"), KEK_B)
    late = new_subscriber(lab, "late")
    assert_success(lab.auth(late.nai))
    assert_success(lab.auth(early.nai))  # its TSK, cached from a vector wrapped under a
    # A pushed vector is wrapped under b too, and the update completes.
    mark = lab.daemon("visited-aaa").log_mark()
    lab.home_cli("rotate", "--nai", early.nai)
    wait_for_log(lab, "visited-aaa", rf"KPR nai={re.escape(early.nai)} generation=\d+ from realm \S+: pending", mark,
                 "the KPR wrapped under the new KEK")
    updated = assert_success(lab.auth(early.nai))
    assert updated["key_updated"] is True and updated["highest_generation"] == first["generation"] + 1, updated

    # Step 2: the partner retires a.
    lab.set_home_realm_keks(lab.nodes["visited-aaa"], L.HOME_REALM, [KEK_B])
    mark = lab.daemon("visited-aaa").log_mark()
    assert lab.stop("visited-aaa") == 0
    lab.write_config(lab.nodes["visited-aaa"])
    lab.start("visited-aaa")
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "up", since=mark)
    assert_success(lab.auth(new_subscriber(lab, "after").nai))
    assert_success(lab.auth(late.nai))


def test_vector_wrapped_under_an_unknown_kek_is_refused_cleanly(make_lab):
    lab = _started(make_lab, "unknownkek", keks=[KEK_A], wrap_with=KEK_A)
    known = new_subscriber(lab, "known")
    first = assert_success(lab.auth(known.nai))

    # The home wraps under c, which visited-aaa was never given.
    home = lab.home_node()
    lab.set_partner_keks(home, L.VISITED_REALM, [KEK_A, KEK_C], wrap_with=KEK_C)
    _restart_home(lab)

    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    newcomer = new_subscriber(lab, "newcomer")
    r = lab.auth(newcomer.nai)
    assert_failure(r)  # exit 1, an answer: not a timeout
    log = visited.log_since(mark)
    assert f'no KEK "{KEK_C}" is configured for realm {L.HOME_REALM}' in log, log
    assert visited.running()

    # A KPR wrapped under c is refused too, and the old key keeps working.
    mark = visited.log_mark()
    lab.home_cli("rotate", "--nai", known.nai)
    wait_for_log(lab, "visited-aaa", rf'KPR nai={re.escape(known.nai)} from realm \S+ refused: no KEK "{KEK_C}"',
                 mark, "the refused KPR")
    st = lab.wait_delegation_status(
        known.nai, lambda st: st["key_pushes"] and st["key_pushes"][0]["state"] not in ("sending",),
        what="the home records the refused push")
    assert st["key_pushes"][0]["state"] == "failed", st["key_pushes"]
    again = assert_success(lab.auth(known.nai))
    assert (again["generation"], again["key_updated"]) == (first["generation"], False), again


def test_vector_under_a_known_id_but_another_key_is_refused(make_lab):
    lab = _started(make_lab, "wrongkek", keks=[KEK_A], wrap_with=KEK_A)
    # Same id, other key material at the home: the unwrap integrity check fails.
    stray = L.secret_key_file(lab.dir / "keks" / "stray.key")
    lab.partner(lab.home_node(), L.VISITED_REALM)["keks"] = [{"id": KEK_A, "key_file": str(stray)}]
    _restart_home(lab)
    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    assert_failure(lab.auth(new_subscriber(lab, "mismatch").nai))
    assert f'does not unwrap under KEK "{KEK_A}"' in visited.log_since(mark)
    assert visited.running()

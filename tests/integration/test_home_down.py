"""home-aaa unreachable: local authentication with a cached TSK goes on,
a mobile without one fails cleanly, and all is well once home is back."""

from __future__ import annotations

from conftest import L, assert_failure, assert_success, new_subscriber


def test_home_down_and_back(lab):
    cached = new_subscriber(lab, "cached")
    newcomer = new_subscriber(lab, "newcomer")
    assert_success(lab.auth(cached.nai))

    visited = lab.daemon("visited-aaa")
    mark = visited.log_mark()
    assert lab.stop("home-aaa") == 0, "home-aaa did not exit 0 on SIGTERM"
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "down", since=mark)

    assert_success(lab.auth(cached.nai))
    # Exit 1 (rejected), not 3 (no answer in time): the visited domain
    # answers at once when it cannot reach the home domain.
    assert_failure(lab.auth(newcomer.nai), rc=L.EXIT_AUTH_FAILED)
    assert visited.running()

    mark = visited.log_mark()
    lab.start("home-aaa")
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "up", since=mark)
    assert_success(lab.auth(newcomer.nai))
    assert_success(lab.auth(cached.nai))

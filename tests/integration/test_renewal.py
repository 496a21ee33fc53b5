"""A TSK past its lifetime or its number of uses is replaced by a new
delegation with a higher key generation (protocol.md sec. 5 step 1)."""

from __future__ import annotations

import time

from conftest import assert_success, new_subscriber


def _started(make_lab, name, delegation):
    lab = make_lab(name).standard(home_delegation=delegation)
    lab.write_configs()
    lab.start_all()
    return lab


def test_expired_tsk_is_refetched(make_lab):
    lab = _started(make_lab, "lifetime", {"tsk_lifetime": 2})
    sub = new_subscriber(lab, "expiring")
    first = assert_success(lab.auth(sub.nai))
    time.sleep(3.5)  # past the 2 s lifetime
    second = assert_success(lab.auth(sub.nai))
    assert second["generation"] > first["generation"]
    assert lab.generations(sub.nai) == [first["generation"], second["generation"]]


def test_tsk_with_all_uses_spent_is_refetched(make_lab):
    lab = _started(make_lab, "maxuses", {"tsk_max_uses": 2})
    sub = new_subscriber(lab, "counted")
    first = assert_success(lab.auth(sub.nai))
    second = assert_success(lab.auth(sub.nai))
    assert second["generation"] == first["generation"]
    third = assert_success(lab.auth(sub.nai))
    assert third["generation"] > first["generation"]
    assert lab.generations(sub.nai) == [first["generation"], third["generation"]]

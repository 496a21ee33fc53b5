"""SIGHUP reloads the configuration without dropping a Diameter link
(docs/operations.md, "Reload"); SIGUSR1 reopens the log file; a refused
reload changes nothing, is logged with every reason and counted."""

from __future__ import annotations

import os
import signal
from datetime import datetime

import pytest

from conftest import L, assert_success, new_subscriber

NAS2 = "nas2.visited.example"


def _sighup(lab: L.Lab, name: str, outcome: str) -> str:
    """SIGHUP to `name`; waits for the reload's last line ("reload done" or
    "reload failed") and returns what the daemon logged meanwhile."""
    d = lab.daemon(name)
    mark = d.log_mark()
    os.kill(d.pid, signal.SIGHUP)
    d.wait_log(rf"reload {outcome}", since=mark, what=f"reload {outcome}")
    return d.log_since(mark)


def _reloads(lab: L.Lab, name: str, result: str) -> float:
    status, text = lab.nodes[name].admin_get("/metrics")
    assert status == 200, text
    return L.metric(text, "roamkey_config_reloads_total", result=result)


@pytest.fixture(scope="module")
def reload_lab(make_module_lab):
    lab = make_module_lab("reload").standard()
    lab.add_client("aaa-client-2", identity=NAS2, server=lab.nodes["visited-aaa"])
    lab.write_configs()
    lab.start_all()
    return lab


def test_added_aaa_client_authenticates_and_no_link_drops(reload_lab):
    lab = reload_lab
    visited = lab.nodes["visited-aaa"]
    sub = new_subscriber(lab, "reload")
    assert not lab.auth(sub.nai, client="aaa-client-2").ok, "nas2 is not an AAA client of visited-aaa yet"

    mark = lab.daemon("visited-aaa").log_mark()
    home_mark = lab.daemon("home-aaa").log_mark()
    visited.settings["aaa_clients"].append(NAS2)
    lab.write_config(visited)
    logged = _sighup(lab, "visited-aaa", "done")
    assert f"aaa_clients: added {NAS2}" in logged, logged

    assert_success(lab.auth(sub.nai, client="aaa-client-2"))
    assert_success(lab.auth(sub.nai))
    # The home link and nas1's stayed up through the reload.
    assert "is down" not in lab.daemon("visited-aaa").log_since(mark)
    assert "is down" not in lab.daemon("home-aaa").log_since(home_mark)
    assert _reloads(lab, "visited-aaa", "success") >= 1


def test_broken_config_changes_nothing_and_is_counted(reload_lab):
    lab = reload_lab
    visited = lab.nodes["visited-aaa"]
    failures = _reloads(lab, "visited-aaa", "failure")
    good = visited.config.read_text()
    try:
        # Two problems at once: both are named, nothing is applied.
        visited.config.write_text(good.replace("cache:", "cach:").replace("max_conversations:", "max_conversation:"))
        logged = _sighup(lab, "visited-aaa", "failed")
        assert "cach" in logged and "max_conversation" in logged, logged
        assert "running configuration is unchanged" in logged
        assert _reloads(lab, "visited-aaa", "failure") == failures + 1
        status, text = visited.admin_get("/metrics")
        assert L.metric(text, "roamkey_config_last_reload_successful") == 0
        assert_success(lab.auth(new_subscriber(lab, "after-broken").nai))
    finally:
        visited.config.write_text(good)
    _sighup(lab, "visited-aaa", "done")
    status, text = visited.admin_get("/metrics")
    assert L.metric(text, "roamkey_config_last_reload_successful") == 1


def test_change_that_needs_a_restart_is_named(reload_lab):
    lab = reload_lab
    visited = lab.nodes["visited-aaa"]
    visited.listen_address = "127.0.0.2"
    visited.tc_timer = 7
    try:
        lab.write_config(visited)
        logged = _sighup(lab, "visited-aaa", "done")
        assert "diameter.listen changed: takes effect at the next start" in logged, logged
        assert "diameter.tc_timer changed" in logged, logged
        assert "2 waiting for a restart" in logged, logged
        assert_success(lab.auth(new_subscriber(lab, "restart-needed").nai))
    finally:
        visited.listen_address, visited.tc_timer = L.LOOPBACK, 2
        lab.write_config(visited)
        _sighup(lab, "visited-aaa", "done")


def test_identity_the_certificate_does_not_name_is_refused(reload_lab):
    lab = reload_lab
    visited = lab.nodes["visited-aaa"]
    visited.identity, identity = "renamed.visited.example", visited.identity
    try:
        lab.write_config(visited)
        logged = _sighup(lab, "visited-aaa", "failed")
        assert "diameter.tls.certificate" in logged and "renamed.visited.example" in logged, logged
    finally:
        visited.identity = identity
        lab.write_config(visited)
        _sighup(lab, "visited-aaa", "done")


def _lifetime(vector: dict) -> float:
    issued = datetime.fromisoformat(vector["issued_at"].replace("Z", "+00:00"))
    expires = datetime.fromisoformat(vector["expires_at"].replace("Z", "+00:00"))
    return (expires - issued).total_seconds()


def test_home_reload_applies_a_new_policy_and_partner(reload_lab):
    lab = reload_lab
    home = lab.nodes["home-aaa"]
    before = new_subscriber(lab, "policy-before")
    assert_success(lab.auth(before.nai))
    assert _lifetime(lab.delegations(before.nai)[-1]) == 3600

    mark = lab.daemon("home-aaa").log_mark()
    home.settings["delegation"]["tsk_lifetime"] = 1234
    lab.add_partner(home, "new-partner.example", ["aaa.new-partner.example"])
    lab.write_config(home)
    logged = _sighup(lab, "home-aaa", "done")
    assert "new-partner.example" in logged, logged
    after = new_subscriber(lab, "policy-after")
    assert_success(lab.auth(after.nai))
    assert _lifetime(lab.delegations(after.nai)[-1]) == 1234
    # The visited link was never dropped.
    assert "is down" not in lab.daemon("home-aaa").log_since(mark)
    assert _reloads(lab, "home-aaa", "success") >= 1


def test_sigusr1_reopens_the_log_file(make_lab):
    lab = make_lab("reopen").standard()
    home = lab.nodes["home-aaa"]
    home.log_file = str(home.log)  # the daemon writes the file itself
    lab.write_configs()
    lab.start("home-aaa")
    d = lab.daemon("home-aaa")
    rotated = home.log.with_suffix(".log.1")
    os.replace(home.log, rotated)
    os.kill(d.pid, signal.SIGUSR1)
    d.wait_log(r"log file reopened", what="log file reopened")
    assert home.log.exists()
    assert oct(home.log.stat().st_mode & 0o777) in ("0o640", "0o600"), oct(home.log.stat().st_mode)
    assert "ready" in rotated.read_text()

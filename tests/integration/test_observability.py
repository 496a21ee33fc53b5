"""What an operator watches (docs/operations.md): /metrics in the
Prometheus text format, /healthz, /readyz and /status/peers on each
daemon's admin listener, from lab.json's daemons.<name>.admin."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import L, assert_success, new_subscriber


def _scrape(lab: L.Lab, name: str) -> str:
    status, text = lab.nodes[name].admin_get("/metrics")
    assert status == 200, text
    return text


def _promtool(text: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian package prometheus) is installed by scripts/install-deps"
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


def test_lab_json_names_each_admin_url(lab):
    desc = lab.describe()
    for name in ("home-aaa", "visited-aaa"):
        url = desc["daemons"][name]["admin"]
        assert url.startswith("http://127.0.0.1:"), url
        assert L.http_get(url + "/healthz")[0] == 200


def test_counters_follow_authentications_exactly(lab):
    before_v, before_h = _scrape(lab, "visited-aaa"), _scrape(lab, "home-aaa")
    subs = [new_subscriber(lab, "metrics") for _ in range(3)]
    for s in subs:  # a first contact each, then two local authentications
        for _ in range(3):
            assert_success(lab.auth(s.nai))
    after_v, after_h = _scrape(lab, "visited-aaa"), _scrape(lab, "home-aaa")

    def grew(before, after, name, **labels):
        return L.metric(after, name, **labels) - L.metric(before, name, **labels)

    assert grew(before_v, after_v, "roamkey_authentications_total", result="success") == 9
    assert grew(before_v, after_v, "roamkey_authentications_total", result="failure") == 0
    assert grew(before_h, after_h, "roamkey_diameter_requests_received_total", command="DLR") == 3
    assert grew(before_h, after_h, "roamkey_diameter_answers_sent_total", command="DLR", result_code="2001") == 3
    assert grew(before_v, after_v, "roamkey_diameter_requests_sent_total", command="DLR") == 3
    assert grew(before_v, after_v, "roamkey_tsk_cache_misses_total") == 3
    assert grew(before_v, after_v, "roamkey_tsk_cache_hits_total") == 6
    # Three round trips per authentication (protocol.md sec. 4): DER answered 1001 twice, then 2001.
    assert grew(before_v, after_v, "roamkey_diameter_answers_sent_total", command="DER", result_code="2001") == 9
    assert grew(before_v, after_v, "roamkey_diameter_answers_sent_total", command="DER", result_code="1001") == 18
    assert grew(before_v, after_v, "roamkey_authentication_duration_seconds_count") == 9
    assert grew(before_h, after_h, "roamkey_dlr_queue_wait_seconds_count") == 3
    assert grew(before_h, after_h, "roamkey_dlr_batch_size_sum") == 3
    assert L.metric(after_v, "roamkey_tsk_cache_entries") >= 3
    assert L.metric(after_v, "roamkey_diameter_peer_up", peer=L.HOME_IDENTITY) == 1
    assert L.metric(after_h, "roamkey_build_info", program="home-aaa") == 1
    _promtool(after_v)
    _promtool(after_h)


def test_a_failed_authentication_is_counted_with_its_reason(lab):
    sub = new_subscriber(lab, "wrongk")
    before = _scrape(lab, "visited-aaa")
    r = lab.auth(sub.nai, key="00" * 32)
    assert r.rc == L.EXIT_AUTH_FAILED, r
    after = _scrape(lab, "visited-aaa")
    assert L.metric(after, "roamkey_authentications_total", result="failure") - \
        L.metric(before, "roamkey_authentications_total", result="failure") == 1
    assert L.metric(after, "roamkey_diameter_answers_sent_total", command="DER", result_code="4001") - \
        L.metric(before, "roamkey_diameter_answers_sent_total", command="DER", result_code="4001") == 1


def test_peers_are_listed_with_state_and_since(lab):
    status, body = lab.nodes["visited-aaa"].admin_get("/status/peers")
    assert status == 200
    peers = {p["identity"]: p for p in json.loads(body)["peers"]}
    home = peers[L.HOME_IDENTITY]
    assert home["state"] == "OPEN" and home["open"] is True, home
    assert home["since"].endswith("Z") and home["for_seconds"] >= 0, home


def test_health_and_method_errors(lab):
    node = lab.nodes["home-aaa"]
    status, body = node.admin_get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "alive"
    assert node.admin_get("/nowhere")[0] == 404


def test_readiness_follows_the_home(make_lab):
    lab = make_lab("ready").standard()
    lab.write_configs()
    lab.start_all()
    visited, home = lab.nodes["visited-aaa"], lab.nodes["home-aaa"]
    for node in (visited, home):
        status, body = node.admin_get("/readyz")
        assert status == 200 and json.loads(body) == {"status": "ready", "problems": []}, body
    sub = new_subscriber(lab, "cached")
    assert_success(lab.auth(sub.nai))

    lab.stop("home-aaa")
    L.wait_until(lambda: json.loads(visited.admin_get("/readyz")[1])["status"] == "degraded", what="degraded")
    status, body = visited.admin_get("/readyz")
    assert status == 200, "a visited-aaa whose home is down still serves cached mobiles"
    assert L.HOME_IDENTITY in json.loads(body)["problems"][0], body
    assert_success(lab.auth(sub.nai))
    with pytest.raises(OSError):
        L.http_get(home.admin_url + "/readyz", timeout=2)

    lab.start("home-aaa")
    L.wait_until(lambda: json.loads(visited.admin_get("/readyz")[1])["status"] == "ready", what="ready again")
    assert home.admin_get("/readyz")[0] == 200


def test_metrics_off_counts_nothing(make_lab):
    lab = make_lab("nometrics").standard()
    visited = lab.nodes["visited-aaa"]
    visited.settings["admin"] = {"listen": f"127.0.0.1:{visited.admin_port}", "metrics": False}
    lab.write_configs()
    lab.start_all()
    status, body = visited.admin_get("/metrics")
    assert status == 404 and "metrics are off" in body, body
    assert visited.admin_get("/readyz")[0] == 200

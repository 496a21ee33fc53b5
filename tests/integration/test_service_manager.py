"""What a daemon tells systemd (sd_notify(3), Type=notify units) and how it
logs for journald and for log collectors (docs/operations.md): READY=1 once
it serves, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 when it
stops; log.format json with the NAI as log.nai allows."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import time

import pytest

from conftest import L, assert_success, new_subscriber


@contextlib.contextmanager
def notify_socket(directory, watchdog_usec: int = 0):
    """A datagram socket standing in for systemd's, named by NOTIFY_SOCKET
    (and WATCHDOG_USEC, as WatchdogSec= sets it) for the daemons started
    inside the block."""
    path = str(directory / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    env = {"NOTIFY_SOCKET": path}
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield sock
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        sock.close()


def receive_until(sock: socket.socket, field: str, timeout: float = 30) -> list[dict]:
    """The notifications received until one carries `field` (e.g. READY=1)."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            break
        fields = dict(line.split("=", 1) for line in data.splitlines() if "=" in line)
        got.append(fields)
        if field in data.splitlines():
            return got
    raise AssertionError(f"no {field} within {timeout:.0f} s; received {got}")


@pytest.mark.parametrize("daemon", ["home-aaa", "visited-aaa"])
def test_ready_reloading_and_stopping_reach_the_service_manager(make_lab, tmp_path, daemon):
    lab = make_lab("notify").standard()
    lab.write_configs()
    if daemon == "visited-aaa":
        lab.start("home-aaa")
    with notify_socket(tmp_path, watchdog_usec=1_000_000) as sock:
        d = lab.start(daemon)
        got = receive_until(sock, "READY=1")
        ready = got[-1]
        assert int(ready.get("MAINPID", d.pid)) == d.pid
        assert ready.get("STATUS"), got
        receive_until(sock, "WATCHDOG=1", timeout=5)  # every half WatchdogSec
        receive_until(sock, "WATCHDOG=1", timeout=5)

        os.kill(d.pid, signal.SIGHUP)
        got = receive_until(sock, "RELOADING=1")
        assert "MONOTONIC_USEC" in got[-1], got  # systemd 253's Type=notify-reload asks for it
        receive_until(sock, "READY=1")

        lab.stop(daemon)
        got = receive_until(sock, "STOPPING=1")
        assert d.exit_code() == 0


def test_without_notify_socket_nothing_is_sent(make_lab):
    lab = make_lab("no-notify").standard()
    lab.write_configs()
    os.environ.pop("NOTIFY_SOCKET", None)
    lab.start("home-aaa")  # starts and serves as before
    assert lab.nodes["home-aaa"].admin_get("/readyz")[0] == 200


def test_json_log_carries_event_fields_and_hides_the_user(make_lab):
    lab = make_lab("json-log").standard()
    for name in ("home-aaa", "visited-aaa"):
        node = lab.nodes[name]
        node.settings["log"] = {"level": "debug", "file": "", "diameter_level": "warn", "format": "json",
                                "nai": "realm"}
    lab.write_configs()
    lab.start_all()
    sub = new_subscriber(lab, "jsonlog")
    assert_success(lab.auth(sub.nai))
    user = sub.nai.split("@")[0]
    for name, event in (("home-aaa", "DLR"), ("visited-aaa", "DER")):
        text = lab.nodes[name].log.read_text()
        records = []
        for line in text.splitlines():
            if not line.startswith("{"):
                continue  # freeDiameter's own lines before the logger is set up
            records.append(json.loads(line))
        assert records, text[:2000]
        for r in records:
            assert {"time", "level", "program", "msg"} <= r.keys(), r
            assert r["program"] == name
            assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r["time"]), r
        assert user not in text, f"{name} logged the user part of {sub.nai} with log.nai: realm"
        ours = [r for r in records if r.get("event") == event and r.get("nai") == f"*@{L.HOME_REALM}"]
        assert ours, f"no {event} record for the subscriber in {name}'s log"
        assert all("result_code" in r and "peer" in r for r in ours), ours

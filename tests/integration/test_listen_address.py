"""The daemons listen on exactly diameter.listen.address and announce it as
Host-IP-Address in CER/CEA (RFC 6733 sec. 5.3.5). freeDiameter 1.2.1 drops
a loopback ListenOn and binds every address instead (notes sec. 8); RoamKey
gives freeDiameter the endpoint itself (common/diameter/listen_address.h).

The non-loopback case runs in a network namespace of its own with addresses
from 198.18.0.0/15 (RFC 2544 benchmarking range), so that the machine's
own interfaces are never involved."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys

import pytest

from diameter_probe import DELEGATION_APPLICATION_ID, ROAMKEY_VENDOR_ID, capabilities_exchange

from conftest import HERE, L, require_daemons


def _listeners(pid: int, netns: str | None = None) -> list[str]:
    """Local address:port of every TCP socket `pid` listens on, from ss."""
    argv = ["ss", "-Hltnp"]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return sorted(line.split()[3] for line in out.splitlines() if f"pid={pid}," in line)


def _expected(node: L.Node, address: str) -> list[str]:
    """The Diameter listener on `address`, and the admin listener, which the
    lab keeps on loopback."""
    return sorted([f"{address}:{node.port}", f"127.0.0.1:{node.admin_port}"])


def _cer(lab: L.Lab, host: str, port: int) -> dict:
    cred = lab.credential(L.INTEROP_VISITED_IDENTITY)
    o = capabilities_exchange(host, port, server_identity=L.HOME_IDENTITY, ca=lab.ca.certificate,
                              certificate=cred.certificate, private_key=cred.private_key,
                              origin_host=L.INTEROP_VISITED_IDENTITY, origin_realm=L.VISITED_REALM,
                              auth_app_ids=(), vendor_apps=((ROAMKEY_VENDOR_ID, DELEGATION_APPLICATION_ID),),
                              timeout=10)
    return {"result_code": o.result_code, "error": o.error, "host_ip_addresses": o.host_ip_addresses}


def test_loopback_listener_binds_loopback_only_and_announces_it(lab):
    home = lab.nodes["home-aaa"]
    d = lab.daemon("home-aaa")
    assert _listeners(d.pid) == _expected(home, "127.0.0.1")
    ready = d.wait_log(r"ready: ", what="ready line")
    assert f"listening on 127.0.0.1:{home.port} (TLS)" in ready, ready
    cea = _cer(lab, home.host, home.port)
    assert cea["result_code"] == 2001, cea
    assert cea["host_ip_addresses"] == ["127.0.0.1"], cea


@pytest.fixture
def netns():
    """A network namespace with a veth pair, 198.18.X.1 and 198.18.X.2 on
    its two ends, and loopback up."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2")
    name = f"rk-listen-{secrets.token_hex(3)}"
    x = secrets.randbelow(250) + 1
    addresses = (f"198.18.{x}.1", f"198.18.{x}.2")

    def ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)

    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "link", "add", "rka", "type", "veth", "peer", "name", "rkb")
        for dev, addr in zip(("rka", "rkb"), addresses):
            ip("-n", name, "addr", "add", f"{addr}/24", "dev", dev)
            ip("-n", name, "link", "set", dev, "up")
        yield name, addresses
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def test_non_loopback_listener_binds_only_that_address(make_lab, netns):
    require_daemons("home")
    name, (server_address, other_address) = netns
    lab = make_lab("netns")
    lab.ca.ensure()
    home = lab.add_home(master_key=False)
    lab.add_partner(home, L.VISITED_REALM, [L.INTEROP_VISITED_IDENTITY])
    lab.credential(L.INTEROP_VISITED_IDENTITY)
    home.listen_address = home.host = server_address
    home.wrapper = ["ip", "netns", "exec", name]
    lab.write_configs()
    d = lab.start("home-aaa")
    ready = d.wait_log(r"ready: ", what="ready line")
    assert f"listening on {server_address}:{home.port} (TLS)" in ready, ready
    assert _listeners(d.pid, name) == _expected(home, server_address)

    # From inside the namespace: a CER to the configured address gets a CEA
    # naming that address; the namespace's other address and its loopback
    # refuse the connection.
    script = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); sys.path.insert(0, {str(L.REPO / 'scripts')!r});"
              "import test_listen_address as t, roamkey_lab as L, pathlib;"
              f"lab = L.Lab(pathlib.Path({str(lab.dir)!r}));"
              f"print(json.dumps({{h: t._cer(lab, h, {home.port}) for h in "
              f"({server_address!r}, {other_address!r}, '127.0.0.1')}}))")
    r = subprocess.run(["ip", "netns", "exec", name, sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    assert seen[server_address]["result_code"] == 2001, seen
    assert seen[server_address]["host_ip_addresses"] == [server_address], seen
    for refused in (other_address, "127.0.0.1"):
        assert seen[refused]["result_code"] is None and re.search("refused", seen[refused]["error"], re.I), seen


def test_listen_address_must_be_an_ip_address(make_lab):
    lab = make_lab("badaddr")
    lab.ca.ensure()
    home = lab.add_home(master_key=False)
    home.listen_address = "localhost"
    lab.write_configs()
    r = subprocess.run([str(L.binary("home", lab.build)), "--config", str(home.config), "check-config"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r
    assert "diameter.listen.address: \"localhost\" is not an IP address" in r.stderr, r.stderr

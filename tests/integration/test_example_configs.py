"""The documented examples in config/*.yaml are accepted by the programs'
own parsers (unknown keys are errors there), once their paths point at
files that exist."""

from __future__ import annotations

import subprocess

import pytest

from conftest import BUILD, REPO, L, require_daemons

yaml = pytest.importorskip("yaml")


@pytest.fixture
def pki(tmp_path):
    lab = L.Lab(tmp_path / "lab", build=BUILD, detach=False)
    lab.standard()
    return lab


def _example(program: str, lab: L.Lab, node: L.Node, tmp_path):
    doc = yaml.safe_load((REPO / "config" / f"{program}.yaml").read_text())
    tls = doc["diameter"]["tls"]
    tls["certificate"], tls["private_key"] = str(node.credential.certificate), str(node.credential.private_key)
    tls["ca"] = [str(lab.ca.certificate)]
    doc["diameter"]["dictionary"] = str(L.DICTIONARY)
    path = tmp_path / f"{program}.yaml"
    return doc, path


def _write(doc: dict, path) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_home_example(pki, tmp_path):
    require_daemons("home")
    doc, path = _example("home-aaa", pki, pki.nodes["home-aaa"], tmp_path)
    doc["store"]["path"] = str(tmp_path / "home.db")
    _write(doc, path)
    r = subprocess.run([str(L.binary("home", BUILD)), "--config", str(path), "subscriber", "add", "--nai",
                        "alice@home.example", "--key", "11" * 32, "--realm", "visited.example"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_visited_example(pki, tmp_path):
    require_daemons("visited")
    node = pki.nodes["visited-aaa"]
    doc, path = _example("visited-aaa", pki, node, tmp_path)
    doc["diameter"]["listen"]["tls_port"] = node.port
    doc["diameter"]["connect"][0]["address"] = "127.0.0.1"
    doc["state"]["path"] = str(tmp_path / "visited-state.db")
    doc["diameter"]["connect"][0]["port"] = pki.ports.pick()  # nobody listens there
    _write(doc, path)
    node.config = path
    daemon = pki.daemon(node)
    try:
        daemon.start()
    finally:
        rc = daemon.stop()
    assert rc == 0, L.tail(node.log)


def test_client_example(pki, tmp_path):
    require_daemons("client")
    doc, path = _example("aaa-client", pki, pki.nodes["aaa-client"], tmp_path)
    doc["diameter"]["connect"][0]["address"] = "127.0.0.1"
    doc["diameter"]["connect"][0]["port"] = pki.ports.pick()  # nobody listens there
    doc["client"]["timeout"] = 2
    _write(doc, path)
    r = subprocess.run([str(L.binary("client", BUILD)), "--config", str(path), "auth", "--nai",
                        "alice@home.example", "--key", "00" * 32, "--json"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == L.EXIT_UNREACHABLE, f"exit {r.returncode}: {r.stderr}"

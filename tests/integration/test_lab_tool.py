"""The lab tool itself, without the real daemons: certificates, rendered
configurations, ports, process control (with stand-in programs), the
documented example configurations and docker-compose.yml."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, L

LAB = REPO / "scripts" / "lab"


# ---- certificates


def test_certificates_name_the_identity_and_chain_to_the_lab_ca(tmp_path):
    ca = L.CertificateAuthority(tmp_path / "certs").create()
    cred = ca.issue("aaa.home.example", tmp_path / "certs")
    assert L.certificate_names(cred.certificate) == ("aaa.home.example", ["aaa.home.example"])
    for key in (cred.private_key, ca.private_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(ca.certificate), str(cred.certificate)],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    text = subprocess.run(["openssl", "x509", "-in", str(cred.certificate), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "TLS Web Server Authentication" in text and "TLS Web Client Authentication" in text


def test_rsa_certificates(tmp_path):
    ca = L.CertificateAuthority(tmp_path, key_type="rsa").create()
    cred = ca.issue("aaa.visited.example", tmp_path)
    text = subprocess.run(["openssl", "x509", "-in", str(cred.certificate), "-noout", "-text"],
                          capture_output=True, text=True, check=True).stdout
    assert "rsaEncryption" in text and "2048 bit" in text


def test_impostor_certificate_names_another_identity(tmp_path):
    ca = L.CertificateAuthority(tmp_path).create()
    cred = ca.issue("nas1.visited.example", tmp_path, cn="evil.visited.example", stem="impostor")
    assert L.certificate_names(cred.certificate) == ("evil.visited.example", ["evil.visited.example"])


def test_certificate_of_another_ca_does_not_verify_with_the_lab_ca(tmp_path):
    lab_ca = L.CertificateAuthority(tmp_path / "lab").create()
    rogue = L.CertificateAuthority(tmp_path / "rogue", name="rogue").create()
    cred = rogue.issue("nas1.visited.example", tmp_path / "rogue")
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(lab_ca.certificate), str(cred.certificate)],
                            capture_output=True, text=True)
    assert verify.returncode != 0


# ---- ports and configuration rendering


def test_ports_are_distinct_and_free():
    alloc = L.PortAllocator()
    ports = [alloc.pick() for _ in range(40)]
    assert len(set(ports)) == len(ports)
    for p in ports[:5]:
        with socket.socket() as s:
            s.bind((L.LOOPBACK, p))
    assert not alloc.reserve(ports[0])  # never handed out twice


def test_yaml_scalars_keep_their_type():
    assert L._yaml_scalar("127.0.0.1") == '"127.0.0.1"'
    assert L._yaml_scalar("yes") == '"yes"'
    assert L._yaml_scalar("") == '""'
    assert L._yaml_scalar("aaa.home.example") == "aaa.home.example"
    assert L._yaml_scalar(5868) == "5868"
    assert L._yaml_scalar(True) == "true"
    assert L._yaml_scalar("a: b") == '"a: b"'


def _standard_lab(tmp_path) -> L.Lab:
    lab = L.Lab(tmp_path / "lab")
    lab.standard()
    return lab


def test_rendered_configurations_parse_back_to_the_same_document(tmp_path):
    yaml = pytest.importorskip("yaml")
    lab = _standard_lab(tmp_path)
    for node in lab.nodes.values():
        assert yaml.safe_load(node.render()) == json.loads(json.dumps(node.document())), node.name


def test_standard_topology(tmp_path):
    lab = _standard_lab(tmp_path)
    home, visited, client = lab.nodes["home-aaa"], lab.nodes["visited-aaa"], lab.nodes["aaa-client"]
    assert (home.identity, home.realm) == ("aaa.home.example", "home.example")
    assert (visited.identity, visited.realm) == ("aaa.visited.example", "visited.example")
    assert client.identity == "nas1.visited.example" and client.port == 0
    assert home.port and visited.port and home.port != visited.port
    assert visited.connect == [{"identity": home.identity, "address": "127.0.0.1", "port": home.port, "tls": True}]
    assert client.connect[0]["port"] == visited.port
    assert home.settings["roaming_partners"] == [
        {"realm": "visited.example", "peers": ["aaa.visited.example", "interop-aaa.visited.example"]}]
    assert visited.settings["aaa_clients"] == ["nas1.visited.example", "interop-nas.visited.example"]
    for node in lab.nodes.values():
        doc = node.document()["diameter"]
        assert doc["tls"]["ca"] == [str(lab.ca.certificate)]
        assert Path(doc["dictionary"]).is_absolute()
        assert L.certificate_names(node.credential.certificate)[0] == node.identity
        if node.port:
            assert doc["listen"] == {"address": "127.0.0.1", "tls_port": node.port, "tcp_port": 0}
    for who in ("aaa_client", "visited"):
        interop = lab.interop[who]
        assert L.certificate_names(Path(interop["certificate"]))[0] == interop["identity"]


def test_compose_rendering_uses_fixed_addresses_and_port_5868(tmp_path):
    lab = L.Lab(tmp_path / "lab", compose=True)
    lab.standard()
    home, visited = lab.nodes["home-aaa"], lab.nodes["visited-aaa"]
    assert home.port == visited.port == 5868
    assert home.listen_address == home.host == L.COMPOSE_ADDRESSES["home-aaa"]
    assert visited.connect[0]["address"] == L.COMPOSE_ADDRESSES["home-aaa"]
    assert lab.nodes["aaa-client"].connect[0]["address"] == L.COMPOSE_ADDRESSES["visited-aaa"]


def _private_key_file(path: Path) -> bytes:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    text = path.read_text().strip()
    assert len(text) == 64, path
    return bytes.fromhex(text)


def test_key_protection_options(tmp_path):
    lab = L.Lab(tmp_path / "lab")
    lab.standard(keks=["2026-a", "2026-b"], wrap_with="2026-a", partner_delegation={"rotation_interval": 60})
    home, visited = lab.nodes["home-aaa"], lab.nodes["visited-aaa"]

    master = lab.master_key_file()
    assert home.settings["store"]["master_key_file"] == str(master)
    _private_key_file(master)
    assert visited.settings["state"] == {"path": str(lab.dir / "visited-aaa-state.db")}

    partner = lab.partner(home, "visited.example")
    assert partner["delegation"] == {"rotation_interval": 60}
    assert partner["wrap_with"] == "2026-a"
    assert [k["id"] for k in partner["keks"]] == ["2026-a", "2026-b"]
    assert visited.settings["home_realms"] == [{"realm": "home.example", "keks": partner["keks"]}]
    keks = [_private_key_file(Path(k["key_file"])) for k in partner["keks"]]
    assert len(set(keks + [_private_key_file(master)])) == 3

    # Kept across labs in the same directory (scripts/lab up keeps its keys).
    again = L.Lab(tmp_path / "lab")
    again.standard(keks=["2026-b"])
    assert _private_key_file(Path(again.partner(again.home_node(), "visited.example")["keks"][0]["key_file"])) == keks[1]
    assert _private_key_file(again.master_key_file()) == _private_key_file(master)
    assert "wrap_with" not in again.partner(again.home_node(), "visited.example")

    plain = L.Lab(tmp_path / "plain")
    plain.standard(master_key=False)
    assert "master_key_file" not in plain.home_node().settings["store"] and plain.master_key_file() is None


def test_key_protection_options_render_as_yaml(tmp_path):
    yaml = pytest.importorskip("yaml")
    lab = L.Lab(tmp_path / "lab")
    lab.standard(keks=["2026-a"], wrap_with="2026-a")
    for node in lab.nodes.values():
        assert yaml.safe_load(node.render()) == json.loads(json.dumps(node.document())), node.name
    assert yaml.safe_load(lab.nodes["home-aaa"].render())["roaming_partners"][0]["wrap_with"] == "2026-a"


def test_wait_until_reports_what_it_last_saw():
    assert L.wait_until(lambda: 42, timeout=1) == 42
    with pytest.raises(L.LabError, match=r"the answer did not happen within 0 s \(last seen: 0\)"):
        L.wait_until(lambda: 0, timeout=0.2, interval=0.05, what="the answer")


# ---- example configurations (config/*.yaml)


@pytest.mark.parametrize("program,kind", [("home-aaa", "home"), ("visited-aaa", "visited"),
                                          ("aaa-client", "client")])
def test_example_configuration_documents_every_option_the_lab_uses(tmp_path, program, kind):
    yaml = pytest.importorskip("yaml")
    example_path = REPO / "config" / f"{program}.yaml"
    example = yaml.safe_load(example_path.read_text())
    lab = _standard_lab(tmp_path)
    node = next(n for n in lab.nodes.values() if n.kind == kind)

    def keys(d, prefix=""):
        out = set()
        for k, v in d.items():
            out.add(prefix + k)
            if isinstance(v, dict):
                out |= keys(v, prefix + k + ".")
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                out |= keys(v[0], prefix + k + "[].")
        return out

    missing = keys(node.document()) - keys(example)
    assert not missing, f"{example_path} lacks {sorted(missing)}"
    # Every option line carries a comment (the file documents itself).
    for n, line in enumerate(example_path.read_text().splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped.endswith(":") is False:
            assert "#" in line, f"{example_path}:{n}: option without a comment: {line!r}"


# ---- process control with stand-in programs

STUB = textwrap.dedent('''\
    #!/usr/bin/python3
    # Stand-in for {name}: speaks its command line, not Diameter.
    import json, os, signal, sys, time
    args = sys.argv[1:]
    if os.environ.get("STUB_FAIL") == "{name}":
        print("{name}: configuration error: stub told to fail", file=sys.stderr)
        sys.exit(1)
    if "run" in args:
        print("{name} ready: stub listening", file=sys.stderr, flush=True)
        if "{name}" == "visited-aaa":
            print("peer aaa.home.example is up", file=sys.stderr, flush=True)
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
        while True:
            time.sleep(1)
    elif "subscriber" in args:
        sys.exit(0)
    elif "delegations" in args:
        print(json.dumps([{{"generation": 1, "realm": "visited.example"}}]))
    elif "auth" in args:
        print(json.dumps({{"result": "success", "nai": args[args.index("--nai") + 1], "generation": 1,
                          "eap_key_name": "fe00", "msk_match": True, "home_auth": False, "result_code": 2001,
                          "reason": "", "diameter_round_trips": 3}}))
    ''')


@pytest.fixture
def stub_build(tmp_path):
    build = tmp_path / "build"
    for name in ("home-aaa", "visited-aaa", "aaa-client"):
        exe = build / name / name
        exe.parent.mkdir(parents=True)
        exe.write_text(STUB.format(name=name))
        exe.chmod(0o755)
    dictionary = tmp_path / "roamkey.xml"
    dictionary.write_text("<dictionary/>\n")
    return build, dictionary


def _lab_cli(*args, build: Path, lab_dir: Path, dictionary: Path, extra_env=None):
    env = dict(os.environ, BUILD_DIR=str(build), LAB_DIR=str(lab_dir), ROAMKEY_DICTIONARY=str(dictionary))
    env.pop("ROAMKEY_BUILD_DIR", None)
    env.update(extra_env or {})
    return subprocess.run(["/usr/bin/python3", str(LAB), *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_lab_up_status_down_with_stand_ins(tmp_path, stub_build):
    build, dictionary = stub_build
    lab_dir = tmp_path / "lab"
    run = lambda *a: _lab_cli(*a, build=build, lab_dir=lab_dir, dictionary=dictionary)  # noqa: E731
    try:
        up = run("up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert up.stdout.count("result                success") == 2, up.stdout
        desc = json.loads((lab_dir / "lab.json").read_text())
        assert stat.S_IMODE((lab_dir / "lab.json").stat().st_mode) == 0o600
        assert set(desc["daemons"]) == {"home-aaa", "visited-aaa"}
        assert desc["daemons"]["home-aaa"]["store"]
        for d in desc["daemons"].values():
            assert {"identity", "realm", "host", "port", "config", "log"} <= set(d)
        assert [s["nai"] for s in desc["subscribers"]] == ["alice@home.example", "bob@home.example"]
        for s in desc["subscribers"]:
            assert len(bytes.fromhex(s["k"])) == 32
            assert stat.S_IMODE(Path(s["key_file"]).stat().st_mode) == 0o600
        assert desc["interop"]["aaa_client"]["identity"] == "interop-nas.visited.example"
        assert desc["interop"]["visited"]["identity"] == "interop-aaa.visited.example"
        assert desc["interop"]["visited"]["realm"] == "visited.example"

        status = run("status")
        assert status.returncode == 0 and "2 of 2 daemons running" in status.stdout, status.stdout

        again = run("up")
        assert again.returncode == 0 and "already up" in again.stdout, again.stdout

        ports = {n: d["port"] for n, d in desc["daemons"].items()}
        restart = run("up", "--restart")
        assert restart.returncode == 0, restart.stdout + restart.stderr
        desc2 = json.loads((lab_dir / "lab.json").read_text())
        assert {n: d["port"] for n, d in desc2["daemons"].items()} == ports  # kept while free
        assert [s["k"] for s in desc2["subscribers"]] == [s["k"] for s in desc["subscribers"]]

        down = run("down")
        assert down.returncode == 0, down.stdout + down.stderr
        assert down.stdout.count("exited 0") == 2, down.stdout
        status = run("status")
        assert status.returncode == 3 and "0 of 2 daemons running" in status.stdout
        assert "was not running" in run("down").stdout
    finally:
        run("down")


def test_lab_up_reports_a_daemon_that_dies_with_its_log(tmp_path, stub_build):
    build, dictionary = stub_build
    lab_dir = tmp_path / "lab"
    up = _lab_cli("up", build=build, lab_dir=lab_dir, dictionary=dictionary,
                  extra_env={"STUB_FAIL": "visited-aaa"})
    try:
        assert up.returncode == 2
        assert "visited-aaa ended (exited 1)" in up.stderr and "stub told to fail" in up.stderr, up.stderr
        status = _lab_cli("status", build=build, lab_dir=lab_dir, dictionary=dictionary)
        assert "0 of 2 daemons running" in status.stdout  # home-aaa was stopped again
    finally:
        _lab_cli("down", build=build, lab_dir=lab_dir, dictionary=dictionary)


def test_lab_up_without_binaries_says_build_first(tmp_path, stub_build):
    _, dictionary = stub_build
    up = _lab_cli("up", build=tmp_path / "nothing", lab_dir=tmp_path / "lab", dictionary=dictionary)
    assert up.returncode == 2 and "build first" in up.stderr, up.stderr


def test_render_for_compose(tmp_path, stub_build):
    build, dictionary = stub_build
    lab_dir = tmp_path / "lab"
    r = _lab_cli("render", "--compose", build=build, lab_dir=lab_dir, dictionary=dictionary)
    assert r.returncode == 0, r.stdout + r.stderr
    desc = json.loads((lab_dir / "lab.json").read_text())
    assert desc["daemons"]["home-aaa"]["host"] == L.COMPOSE_ADDRESSES["home-aaa"]
    assert desc["daemons"]["visited-aaa"]["port"] == 5868
    visited = (lab_dir / "visited-aaa.yaml").read_text()
    assert f'address: "{L.COMPOSE_ADDRESSES["home-aaa"]}"' in visited
    assert not (lab_dir / "run").exists()  # no daemon was started


def test_daemon_control_from_python(tmp_path, stub_build):
    build, dictionary = stub_build
    lab = L.Lab(tmp_path / "lab", build=build, detach=False, dictionary=dictionary)
    try:
        lab.standard()
        lab.write_configs()
        lab.start_all()
        home = lab.daemon("home-aaa")
        assert home.running() and lab.daemon("visited-aaa").running()
        mark = home.log_mark()
        assert lab.stop("home-aaa") == 0 and not home.running()
        lab.start("home-aaa")
        assert "ready" in home.log_since(mark)
        r = lab.auth("carol@home.example", key=os.urandom(32).hex())
        assert r.ok and r.json["nai"] == "carol@home.example"
        assert "--state" in r.argv and "--json" in r.argv
    finally:
        lab.teardown()
    assert lab.daemon("home-aaa").exit_code() == 0 and lab.daemon("visited-aaa").exit_code() == 0


# ---- docker-compose.yml


def test_compose_file_is_valid():
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        cmd = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        cmd = ["docker-compose"]
    else:
        pytest.skip("neither docker compose nor docker-compose is installed")
    r = subprocess.run([*cmd, "-f", str(REPO / "docker-compose.yml"), "config", "-q"], capture_output=True,
                       text=True, cwd=REPO, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    full = subprocess.run([*cmd, "-f", str(REPO / "docker-compose.yml"), "config"], capture_output=True,
                          text=True, cwd=REPO, timeout=120).stdout
    for service in ("lab-init", "home-aaa", "visited-aaa", "aaa-client"):
        assert f"  {service}:" in full, full
    # The addresses the rendered configurations dial are the services' addresses.
    for service, address in L.COMPOSE_ADDRESSES.items():
        assert f"ipv4_address: {address}" in full, f"{service} should have {address}"

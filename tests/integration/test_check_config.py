"""Configuration problems are caught before freeDiameter sees them, at
start-up and by check-config, each naming the file and the YAML key; every
program has --version and exits 2 on a usage error (README, "Exit codes")."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, L, require_daemons

PROGRAMS = {
    "home-aaa": BUILD / "home-aaa" / "home-aaa",
    "visited-aaa": BUILD / "visited-aaa" / "visited-aaa",
    "aaa-client": BUILD / "aaa-client" / "aaa-client",
    "ceiling": BUILD / "bench" / "ceiling",
    "home-load": BUILD / "bench" / "home-load",
    "delay-relay": BUILD / "bench" / "delay-relay",
}


def _run(*argv, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_version_and_usage_errors(program):
    require_daemons()
    exe = PROGRAMS[program]
    v = _run(exe, "--version")
    assert v.returncode == 0, v
    assert re.fullmatch(rf"{program} \d+\.\d+\.\d+( \(git [0-9a-zA-Z.\-]+\))?\n", v.stdout), v.stdout
    for bad in (["--no-such-option"], []):
        r = _run(exe, *bad)
        assert r.returncode == 2, (bad, r)
        assert "--help" in r.stderr, r.stderr
    h = _run(exe, "--help")
    assert h.returncode == 0 and "--version" in h.stdout, h


@pytest.fixture
def configured(make_lab) -> L.Lab:
    lab = make_lab("check").standard(master_key=True)
    lab.write_configs()
    return lab


def _check(lab: L.Lab, name: str) -> subprocess.CompletedProcess:
    node = lab.nodes[name]
    return _run(L.binary(node.kind, lab.build), "--config", node.config, "check-config")


def test_check_config_accepts_the_lab_configurations(configured):
    for name in ("home-aaa", "visited-aaa"):
        r = _check(configured, name)
        assert r.returncode == 0, r
        assert r.stdout.strip().endswith(": OK"), r.stdout


def test_a_misspelt_section_is_named_by_check_config_and_at_start(configured):
    lab = configured
    visited = lab.nodes["visited-aaa"]
    visited.settings["cach"] = visited.settings.pop("cache")
    lab.write_config(visited)
    r = _check(lab, "visited-aaa")
    assert r.returncode == 1, r
    assert f"{visited.config}: cach: unknown section" in r.stderr, r.stderr
    log = _start_refused(lab, "visited-aaa")
    assert f"{visited.config}: cach: unknown section" in log, log

    home = lab.nodes["home-aaa"]
    home.settings["bogus_section"] = {"x": 1}
    lab.write_config(home)
    assert f"{home.config}: bogus_section: unknown section" in _check(lab, "home-aaa").stderr


def _start_refused(lab: L.Lab, name: str) -> str:
    d = lab.daemon(name)
    mark = d.log_mark()
    with pytest.raises(L.LabError):
        lab.start(name, timeout=20)
    assert d.exit_code() == 1, d.exit_code()
    return d.log_since(mark)


def test_a_key_that_does_not_match_its_certificate_names_the_yaml_key(configured):
    lab = configured
    home = lab.nodes["home-aaa"]
    other = lab.credential("other.home.example")
    home.credential = L.Credential(home.identity, home.credential.certificate, other.private_key)
    lab.write_config(home)
    for text in (_check(lab, "home-aaa").stderr, _start_refused(lab, "home-aaa")):
        assert f"{home.config}: diameter.tls.private_key: {other.private_key} does not match the certificate" \
               in text, text
        assert "/proc/self/fd" not in text and "rejected the configuration" not in text, text


def test_a_ca_file_with_two_roots_is_refused_with_the_key(configured):
    lab = configured
    visited = lab.nodes["visited-aaa"]
    rogue = lab.other_ca("second")
    both = lab.dir / "two-roots.pem"
    both.write_text(lab.ca.certificate.read_text() + rogue.certificate.read_text())
    visited.ca_files = [both]
    lab.write_config(visited)
    for text in (_check(lab, "visited-aaa").stderr, _start_refused(lab, "visited-aaa")):
        assert f"{visited.config}: diameter.tls.ca: {both} holds 2 certificates" in text, text


def test_check_config_reports_every_problem_at_once(configured):
    lab = configured
    home = lab.nodes["home-aaa"]
    home.settings["delegation"]["tsk_lifetim"] = 3
    home.log_level = "chatty"
    home.credential = L.Credential(home.identity, lab.credential(L.VISITED_IDENTITY).certificate,
                                   home.credential.private_key)
    lab.write_config(home)
    r = _check(lab, "home-aaa")
    assert r.returncode == 1, r
    for key in ("log.level", "delegation.tsk_lifetim", "diameter.tls.private_key", "diameter.tls.certificate"):
        assert f"{home.config}: {key}: " in r.stderr, (key, r.stderr)
    assert r.stderr.strip().endswith("4 problems"), r.stderr


def test_check_config_needs_a_config(configured):
    for exe in (L.binary("home", configured.build), L.binary("visited", configured.build)):
        r = _run(exe, "check-config")
        assert r.returncode == 2, r

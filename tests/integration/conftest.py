"""Fixtures of the integration tests.

Every lab lives in its own temporary directory with its own free ports and
is torn down by a finalizer, also when a test fails. A failed test's report
carries the tails of the daemons' logs. Set ROAMKEY_BUILD_DIR to test
another build (default <repo>/build); ctest sets it and also
ROAMKEY_REQUIRE_BINARIES=1, which turns "not built" from a skip into a
failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(HERE))

import roamkey_lab as L  # noqa: E402

BUILD = Path(os.environ.get("ROAMKEY_BUILD_DIR") or REPO / "build").resolve()

_active_labs: list[L.Lab] = []


def require_daemons(*kinds: str) -> None:
    """Skips (or, under ctest, fails) unless the programs of `kinds`
    (home, visited, client; default all) and the dictionary exist."""
    wanted = [L.binary(k, BUILD) for k in (kinds or L.PROGRAMS)]
    missing = [str(p) for p in L.missing_binaries(BUILD) if p in wanted]
    if not L.DICTIONARY.is_file():
        missing.append(str(L.DICTIONARY))
    if missing:
        why = "not built: " + ", ".join(missing)
        if os.environ.get("ROAMKEY_REQUIRE_BINARIES") == "1":
            pytest.fail(why)
        pytest.skip(why)


@contextlib.contextmanager
def _labs(tmp_path_factory):
    made: list[L.Lab] = []

    def make(name: str = "lab", **kwargs) -> L.Lab:
        require_daemons()
        lab = L.Lab(tmp_path_factory.mktemp(name), build=BUILD, log_level="debug", detach=False, **kwargs)
        made.append(lab)
        _active_labs.append(lab)
        return lab

    try:
        yield make
    finally:
        for lab in made:
            lab.teardown()
            _active_labs.remove(lab)


@pytest.fixture(scope="module")
def make_module_lab(tmp_path_factory):
    """Factory of labs that live as long as the test module."""
    with _labs(tmp_path_factory) as make:
        yield make


@pytest.fixture
def make_lab(tmp_path_factory):
    """Factory of labs that live as long as one test."""
    with _labs(tmp_path_factory) as make:
        yield make


@pytest.fixture(scope="module")
def lab(make_module_lab) -> L.Lab:
    """The standard lab, started: home-aaa, visited-aaa, aaa-client."""
    lab = make_module_lab("std").standard()
    lab.write_configs()
    lab.start_all()
    return lab


def new_subscriber(lab: L.Lab, prefix: str = "user", **kwargs) -> L.Subscriber:
    """A subscriber no other test uses, so that tests sharing a lab do not
    see each other's delegations."""
    return lab.add_subscriber(f"{prefix}-{secrets.token_hex(3)}@{L.HOME_REALM}", **kwargs)


def random_key() -> str:
    return secrets.token_hex(32)


def assert_success(r: L.AuthResult) -> dict:
    assert r.ok, f"expected a successful authentication:\n{r}"
    assert r.json.get("msk_match") is True, f"MSK differs between the MN and the AAA client:\n{r}"
    return r.json


def delegation_session(lab: L.Lab, identity: str = L.INTEROP_VISITED_IDENTITY, realm: str = L.VISITED_REALM,
                       home: str = "home-aaa"):
    """A raw Delegation-application session with `home` as the visited AAA
    `identity` (default the lab's interop visited AAA, a listed peer of
    visited.example): for requests freeDiameter would not repeat on purpose."""
    from diameter_probe import DelegationSession

    node = lab.nodes[home]
    cred = lab.credential(identity)
    return DelegationSession(node.host, node.port, server_identity=node.identity, ca=lab.ca.certificate,
                             certificate=cred.certificate, private_key=cred.private_key, origin_host=identity,
                             origin_realm=realm, destination_realm=node.realm)


def wait_for_log(lab: L.Lab, daemon: str, pattern: str, since: int, what: str, timeout: float = 60) -> re.Match:
    """The first line `daemon` logged after `since` that matches `pattern`, as a match object."""
    line = lab.daemon(daemon).wait_log(pattern, since=since, timeout=timeout, what=what)
    return re.search(pattern, line)


def mobile_generation(lab: L.Lab, nai: str) -> int:
    """The highest generation the mobile's state file (aaa-client --state) holds."""
    state = lab.state_file(nai)
    if not state.exists():
        return 0
    return int(json.loads(state.read_text())["subscribers"].get(nai, {}).get("highest_generation", 0))


def assert_failure(r: L.AuthResult, rc: int = L.EXIT_AUTH_FAILED) -> dict:
    assert r.rc == rc, f"expected aaa-client exit {rc}:\n{r}"
    if rc == L.EXIT_AUTH_FAILED:
        assert r.json is not None and r.json.get("result") == "failure", f"expected result failure:\n{r}"
    return r.json or {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and _active_labs:
        report.sections.append(("lab logs", "\n".join(lab.log_tails() for lab in _active_labs)))

"""K at rest (issue 3, "Protecting keys"): home-aaa keeps every K sealed
with AES-256-GCM under a master key read from a file (store.master_key_file,
0600), the NAI bound as associated data; `home-aaa store rekey` re-seals;
a store and a master key that do not match, or a master key file others
can read, refuse to start with a clear message."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from conftest import L, assert_failure, assert_success, new_subscriber

STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def _started(make_lab, name, **standard):
    lab = make_lab(name).standard(**standard)
    lab.write_configs()
    lab.start_all()
    return lab


def _store_files(lab: L.Lab) -> list[Path]:
    store = lab.home_node().settings["store"]["path"]
    return [Path(store + s) for s in STORE_SUFFIXES if Path(store + s).exists()]


def _keys_in_store(lab: L.Lab, subs) -> list[str]:
    """Which K can be found in the store's files (database, WAL, shared
    memory, journal): raw bytes, or hex in either case."""
    found = []
    for f in _store_files(lab):
        data = f.read_bytes()
        for sub in subs:
            k = bytes.fromhex(sub.k)
            for form, needle in (("raw", k), ("hex", sub.k.lower().encode()), ("HEX", sub.k.upper().encode())):
                if needle in data:
                    found.append(f"K of {sub.nai} ({form}) in {f.name}")
    return found


def _store_info(lab: L.Lab, *extra: str) -> dict:
    return json.loads(lab.home_cli("store", "info", "--json", *extra).stdout)


def _start_refused(lab: L.Lab) -> str:
    """Starts home-aaa expecting it to refuse; returns what it logged."""
    home = lab.daemon("home-aaa")
    mark = home.log_mark()
    with pytest.raises(L.LabError):
        lab.start("home-aaa", timeout=30)
    rc = home.exit_code()
    log = home.log_since(mark)
    assert rc not in (None, 0), f"home-aaa exit status {rc}:\n{log}"
    assert not home.running()
    return log


def _restart_home(lab: L.Lab) -> None:
    mark = lab.daemon("visited-aaa").log_mark()
    lab.write_config(lab.home_node())
    lab.start("home-aaa")
    lab.wait_peer("visited-aaa", L.HOME_IDENTITY, "up", since=mark)


def test_store_holds_no_k_in_clear(make_lab):
    lab = _started(make_lab, "sealed")
    subs = [new_subscriber(lab, "atrest") for _ in range(4)]
    for sub in subs[:2]:
        assert_success(lab.auth(sub.nai))  # the daemon opened those K
    master = lab.master_key_file().read_text().strip()

    assert _keys_in_store(lab, subs) == []  # while home-aaa runs (WAL in use)
    info = _store_info(lab)
    assert (info["k_plain"], info["master_key_bound"]) == (0, True), info
    assert info["k_sealed"] >= len(subs), info

    assert lab.stop("home-aaa") == 0
    assert _keys_in_store(lab, subs) == []  # after the checkpoint at close
    for f in _store_files(lab):
        assert bytes.fromhex(master) not in f.read_bytes() and master.encode() not in f.read_bytes(), f


def test_the_search_finds_k_in_a_store_without_master_key(make_lab):
    # Proves that the search above would see a K kept in clear.
    lab = _started(make_lab, "plain", master_key=False)
    subs = [new_subscriber(lab, "inclear") for _ in range(2)]
    assert lab.stop("home-aaa") == 0
    assert len(_keys_in_store(lab, subs)) >= 2
    assert _store_info(lab)["k_plain"] == 2


def test_plain_store_sealed_by_rekey(make_lab):
    lab = _started(make_lab, "seal", master_key=False)
    subs = [new_subscriber(lab, "toseal") for _ in range(3)]
    assert_success(lab.auth(subs[0].nai))
    assert lab.stop("home-aaa") == 0

    lab.set_master_key(lab.home_node(), lab.keys_dir / "home-aaa-master.key")
    lab.write_config(lab.home_node())
    out = lab.home_cli("store", "rekey").stdout
    assert "sealed 3 subscriber key(s)" in out, out
    assert _keys_in_store(lab, subs) == [], "K left in clear after store rekey (free pages or WAL)"
    assert _store_info(lab)["k_plain"] == 0

    _restart_home(lab)
    for sub in subs[1:]:
        assert_success(lab.auth(sub.nai))  # K opened under the master key
    assert _keys_in_store(lab, subs) == []


def test_wrong_master_key_refuses_to_start(make_lab):
    lab = _started(make_lab, "wrongmaster")
    cached = new_subscriber(lab, "before")
    waiting = new_subscriber(lab, "waiting")  # provisioned, K never used yet
    assert_success(lab.auth(cached.nai))
    assert lab.stop("home-aaa") == 0
    right = lab.master_key_file()

    lab.set_master_key(lab.home_node(), lab.keys_dir / "wrong-master.key")
    lab.write_config(lab.home_node())
    log = _start_refused(lab)
    assert "the master key does not match this store" in log, log
    r = lab.home_cli("store", "info", check=False)
    assert r.returncode == 1 and "does not match" in r.stderr, r

    lab.set_master_key(lab.home_node(), right)
    _restart_home(lab)
    assert_success(lab.auth(waiting.nai))


def test_master_key_file_readable_by_others_refuses_to_start(make_lab):
    lab = _started(make_lab, "keymode")
    assert lab.stop("home-aaa") == 0
    key = lab.master_key_file()
    os.chmod(key, 0o644)
    log = _start_refused(lab)
    assert "chmod 600" in log and str(key) in log, log
    os.chmod(key, 0o600)
    _restart_home(lab)
    assert_success(lab.auth(new_subscriber(lab, "afterchmod").nai))


def test_store_rekey_to_a_new_master_key(make_lab):
    lab = _started(make_lab, "rekey")
    subs = [new_subscriber(lab, "rekeyed") for _ in range(3)]
    assert_success(lab.auth(subs[0].nai))
    assert lab.stop("home-aaa") == 0
    old = lab.master_key_file()
    new = L.secret_key_file(lab.keys_dir / "next-master.key")

    out = lab.home_cli("store", "rekey", "--new-master-key-file", str(new)).stdout
    assert "sealed 3 subscriber key(s)" in out, out
    assert "does not match" in _start_refused(lab)  # the old key no longer opens the store

    lab.set_master_key(lab.home_node(), new)
    _restart_home(lab)
    for sub in subs[1:]:
        assert_success(lab.auth(sub.nai))
    assert _keys_in_store(lab, subs) == []
    assert old != new


def test_k_is_bound_to_its_nai(make_lab):
    """Swapping two sealed K in the store (an attacker with write access to
    the file) must not let one subscriber authenticate with the other's K."""
    lab = _started(make_lab, "binding")
    alice, bob = new_subscriber(lab, "alice"), new_subscriber(lab, "bob")
    assert lab.stop("home-aaa") == 0
    with contextlib.closing(sqlite3.connect(lab.home_node().settings["store"]["path"])) as db, db:
        rows = dict(db.execute("SELECT nai, k_blob FROM subscribers WHERE nai IN (?, ?)", (alice.nai, bob.nai)))
        db.execute("UPDATE subscribers SET k_blob = ? WHERE nai = ?", (rows[bob.nai], alice.nai))
        db.execute("UPDATE subscribers SET k_blob = ? WHERE nai = ?", (rows[alice.nai], bob.nai))
    _restart_home(lab)
    assert_failure(lab.auth(alice.nai))
    assert_failure(lab.auth(alice.nai, key=bob.k))  # bob's K does not open alice's row either
    assert lab.daemon("home-aaa").running()

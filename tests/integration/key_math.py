"""The protocol's key derivations the integration tests check the daemons
against, written from protocol.md sec. 2 alone (standard library), and the
RFC 3394 unwrap done by the openssl command line tool."""

from __future__ import annotations

import hashlib
import hmac
import struct
import subprocess

# RFC 3394 sec. 2.2.3.1: the default initial value.
KEY_WRAP_IV = "A6A6A6A6A6A6A6A6"


def kdf(key: bytes, label: str, *params: bytes) -> bytes:
    """protocol.md sec. 2: HMAC-SHA-256(Key, Label || 0x00 || P0 || L0 || ... || Pn || Ln)."""
    data = label.encode("ascii") + b"\0"
    for p in params:
        data += p + struct.pack("!H", len(p))
    return hmac.new(key, data, hashlib.sha256).digest()


def derive_tsk(k: bytes, rand: bytes, visited_realm: str, generation: int) -> bytes:
    return kdf(k, "RoamKey TSK", rand, visited_realm.lower().encode("ascii"), struct.pack("!I", generation))


def aes_key_unwrap(kek: bytes, wrapped: bytes) -> bytes:
    """RFC 3394 unwrap with `openssl enc -d -id-aes256-wrap`; raises
    ValueError when the integrity check fails."""
    r = subprocess.run(["openssl", "enc", "-d", "-id-aes256-wrap", "-K", kek.hex(), "-iv", KEY_WRAP_IV, "-nopad"],
                       input=wrapped, capture_output=True)
    if r.returncode != 0:
        raise ValueError(f"RFC 3394 unwrap failed: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout


def read_key_file(path) -> bytes:
    """A key file of the lab: 64 hex digits (crypto/key_input.h)."""
    return bytes.fromhex(open(path).read().strip())

"""The RoamKey lab: a CA and certificates, configurations, and the daemons
home-aaa and visited-aaa running on loopback with TLS on every link.

`scripts/lab` is the command line; the integration tests import this module
and build their own topologies with the Lab class. Python 3 standard library
only, plus the openssl command line tool for certificates.

Layout of a lab directory (see docs/lab.md):
    certs/            CA, one certificate + key per Diameter identity (keys 0600)
    keys/             the subscribers' K and the home store's master key, hex, one file each (0600)
    keks/             KEKs agreed between the home and a partner realm, when asked for (0600)
    mobiles/          each mobile's state file (highest accepted generation)
    logs/             one log per daemon (its stderr), aaa-client runs
    run/              pid and exit-code files written by the supervisor
    <node>.yaml       one configuration per program
    home-aaa.db       the home subscriber store (K sealed under the master key)
    <visited>-state.db  a visited-aaa's unacknowledged key update reports
    lab.json          what an operator or an interop peer needs to know
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterable, Optional

REPO = Path(__file__).resolve().parent.parent
# ROAMKEY_DICTIONARY: another dictionary file (the lab's own tests use a stand-in).
DICTIONARY = Path(os.environ.get("ROAMKEY_DICTIONARY") or REPO / "dictionaries" / "roamkey.xml").resolve()
LOOPBACK = "127.0.0.1"
DIAMETER_TLS_PORT = 5868  # RFC 6733 sec. 2.1

# Identities of the standard lab (docs/lab.md, "Identities").
HOME_IDENTITY = "aaa.home.example"
HOME_REALM = "home.example"
VISITED_IDENTITY = "aaa.visited.example"
VISITED_REALM = "visited.example"
CLIENT_IDENTITY = "nas1.visited.example"
INTEROP_CLIENT_IDENTITY = "interop-nas.visited.example"
INTEROP_VISITED_IDENTITY = "interop-aaa.visited.example"
DEMO_SUBSCRIBERS = ("alice@home.example", "bob@home.example")

# aaa-client exit codes (its CLI contract).
EXIT_SUCCESS = 0
EXIT_AUTH_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

# docker-compose.yml: freeDiameter's ConnectTo takes an IP address, not a
# host name, so the compose network has fixed addresses.
COMPOSE_SUBNET = "198.18.58.0/24"
COMPOSE_ADDRESSES = {"home-aaa": "198.18.58.10", "visited-aaa": "198.18.58.20", "aaa-client": "198.18.58.30"}

READY_PATTERN = r"\bready\b"
# admin.listen defaults of the daemons (config/*.yaml), used in containers.
ADMIN_PORTS = {"home": 9868, "visited": 9869}
DEFAULT_WAIT = 30.0
# KEK ids of the standard lab when it is asked to wrap TSKs (docs/lab.md).
DEFAULT_KEK_IDS = ("2026-a", "2026-b")


class LabError(Exception):
    """A problem the operator can act on; the message says what to do."""


def wait_until(condition, *, timeout: float = DEFAULT_WAIT, interval: float = 0.1, what: str = "the condition"):
    """Calls `condition` until it returns something truthy, and returns that.
    After `timeout` seconds raises LabError naming `what` and the last value
    (or exception) seen, so that a failed wait says how far it got."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            value = condition()
            if value:
                return value
            last = value
        except (LabError, OSError, subprocess.SubprocessError, ValueError, KeyError) as e:
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() > deadline:
            raise LabError(f"{what} did not happen within {timeout:.0f} s (last seen: {last!r})")
        time.sleep(interval)


# --------------------------------------------------------------------------
# Locations


def build_dir() -> Path:
    for var in ("ROAMKEY_BUILD_DIR", "BUILD_DIR"):
        if os.environ.get(var):
            return Path(os.environ[var]).resolve()
    return REPO / "build"


def default_lab_dir() -> Path:
    if os.environ.get("LAB_DIR"):
        return Path(os.environ["LAB_DIR"]).resolve()
    return build_dir() / "lab"


PROGRAMS = {"home": "home-aaa", "visited": "visited-aaa", "client": "aaa-client"}


def binary(kind: str, build: Optional[Path] = None) -> Path:
    name = PROGRAMS[kind]
    # ROAMKEY_BIN_DIR: installed programs (the package's /usr/bin, the image's)
    # instead of a build tree's.
    if os.environ.get("ROAMKEY_BIN_DIR"):
        return Path(os.environ["ROAMKEY_BIN_DIR"]) / name
    return (build or build_dir()) / name / name


def missing_binaries(build: Optional[Path] = None) -> list[Path]:
    return [p for p in (binary(k, build) for k in PROGRAMS) if not os.access(p, os.X_OK)]


def require_binaries(build: Optional[Path] = None) -> None:
    missing = missing_binaries(build)
    if missing:
        b = build or build_dir()
        raise LabError(
            "build first: " + ", ".join(str(p) for p in missing) + " not found\n"
            f"  cmake -S {REPO} -B {b} && cmake --build {b} -j$(nproc)"
        )


# --------------------------------------------------------------------------
# Ports


class PortAllocator:
    """Free TCP ports on one address, found by binding port 0. Ports handed
    out once are never handed out again by the same allocator, so that two
    nodes of one lab cannot collide even before either listens."""

    def __init__(self, address: str = LOOPBACK):
        self.address = address
        self._given: set[int] = set()

    def pick(self) -> int:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((self.address, 0))
                port = s.getsockname()[1]
            if port not in self._given:
                self._given.add(port)
                return port
        raise LabError("no free TCP port found on " + self.address)

    def reserve(self, port: int) -> bool:
        """Takes `port` if nobody listens on it and it was not given out."""
        if port in self._given or not port_is_free(self.address, port):
            return False
        self._given.add(port)
        return True


def port_is_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


# --------------------------------------------------------------------------
# PKI (openssl command line)


@dataclasses.dataclass(frozen=True)
class Credential:
    """A certificate and its private key, for one Diameter identity."""

    identity: str
    certificate: Path
    private_key: Path


def _openssl(*args: str, cwd: Optional[Path] = None) -> None:
    if shutil.which("openssl") is None:
        raise LabError("openssl not found: run scripts/install-deps")
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise LabError(f"openssl {args[0]} failed: {r.stderr.strip()}")


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)


def secret_key_file(path: Path) -> Path:
    """A 32-byte secret key as 64 hex digits in `path` (0600), the format of
    K, of the home store's master key and of a KEK (crypto/key_input.h).
    An existing file is kept, so that a restarted lab keeps its keys."""
    path = Path(path)
    if not path.is_file():
        _write_private(path, secrets.token_hex(32) + "\n")
    return path


def _new_key(path: Path, key_type: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if key_type == "ec":
        algo = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    elif key_type == "rsa":
        algo = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    else:
        raise LabError(f"unknown key type {key_type!r} (ec or rsa)")
    # Created 0600 before openssl writes into it, so the key is never readable by others.
    _write_private(path, "")
    _openssl("genpkey", *algo, "-out", str(path))
    os.chmod(path, 0o600)


class CertificateAuthority:
    """A CA kept in `directory` (ca.pem, ca.key). Issues certificates whose
    CN and SAN dNSName are the Diameter identity: freeDiameter checks the
    peer's name against the identity it dials (notes sec. 4)."""

    def __init__(self, directory: Path, name: str = "RoamKey lab CA", key_type: str = "ec"):
        self.directory = Path(directory)
        self.name = name
        self.key_type = key_type
        self.certificate = self.directory / "ca.pem"
        self.private_key = self.directory / "ca.key"

    def exists(self) -> bool:
        return self.certificate.is_file() and self.private_key.is_file()

    def create(self) -> "CertificateAuthority":
        self.directory.mkdir(parents=True, exist_ok=True)
        _new_key(self.private_key, self.key_type)
        cnf = self.directory / "ca.cnf"
        cnf.write_text(
            "[req]\ndistinguished_name = dn\nprompt = no\n"
            f"[dn]\nO = RoamKey lab\nCN = {self.name}\n"
            "[v3_ca]\nbasicConstraints = critical, CA:TRUE\n"
            "keyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n"
        )
        _openssl("req", "-x509", "-new", "-config", str(cnf), "-extensions", "v3_ca", "-key",
                 str(self.private_key), "-sha256", "-days", "3650", "-set_serial", _serial(),
                 "-out", str(self.certificate))
        cnf.unlink()
        return self

    def ensure(self) -> "CertificateAuthority":
        return self if self.exists() else self.create()

    def issue(self, identity: str, directory: Path, *, cn: Optional[str] = None,
              san: Optional[Iterable[str]] = None, stem: Optional[str] = None) -> Credential:
        """Certificate for `identity` in `directory`/<stem>.pem + .key. `cn`
        and `san` override the names (tests use this for impostors)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        stem = stem or identity
        cert, key = directory / f"{stem}.pem", directory / f"{stem}.key"
        cn = cn or identity
        names = list(san) if san is not None else [cn]
        _new_key(key, self.key_type)
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            cnf, csr = Path(tmp) / "leaf.cnf", Path(tmp) / "leaf.csr"
            usage = "digitalSignature" + (", keyEncipherment" if self.key_type == "rsa" else "")
            cnf.write_text(
                "[req]\ndistinguished_name = dn\nprompt = no\n"
                f"[dn]\nO = RoamKey lab\nCN = {cn}\n"
                "[v3_leaf]\nbasicConstraints = critical, CA:FALSE\n"
                f"keyUsage = critical, {usage}\n"
                # Every Diameter node is TLS client and server (RFC 6733 sec. 13.1).
                "extendedKeyUsage = serverAuth, clientAuth\n"
                "subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
                + (f"subjectAltName = {', '.join('DNS:' + n for n in names)}\n" if names else "")
            )
            _openssl("req", "-new", "-config", str(cnf), "-key", str(key), "-out", str(csr))
            _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.certificate), "-CAkey",
                     str(self.private_key), "-set_serial", _serial(), "-days", "825", "-sha256",
                     "-extfile", str(cnf), "-extensions", "v3_leaf", "-out", str(cert))
        return Credential(identity, cert, key)


def _serial() -> str:
    # RFC 5280 sec. 4.1.2.2: positive, at most 20 octets; random so that
    # re-issued certificates never repeat a serial.
    return hex(secrets.randbits(120) | 1 << 119)


def certificate_names(cert: Path) -> tuple[str, list[str]]:
    """(CN, SAN dNSNames) of a PEM certificate, read with openssl."""
    r = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-subject", "-ext", "subjectAltName",
                        "-nameopt", "multiline"], capture_output=True, text=True, check=True)
    cn = re.search(r"commonName\s*=\s*(\S+)", r.stdout)
    return (cn.group(1) if cn else "", re.findall(r"DNS:([^,\s]+)", r.stdout))


# --------------------------------------------------------------------------
# YAML output (the subset the configurations need)

_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@:+-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def _yaml_scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Path):
        v = str(v)
    if v is None:
        return '""'
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _YAML_WORDS and not re.match(r"^[0-9.+-]", s):
        return s
    return json.dumps(s)  # a JSON string is a valid double-quoted YAML scalar


def _is_scalar(v: Any) -> bool:
    return not isinstance(v, (dict, list))


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for nested dicts and lists; lists of scalars go on
    one line (flow style)."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict):
                out.append(f"{pad}{k}:" + (" {}" if not v else ""))
                if v:
                    out.append(to_yaml(v, indent + 2))
            elif isinstance(v, list) and v and not all(_is_scalar(x) for x in v):
                out.append(f"{pad}{k}:")
                out.append(to_yaml(v, indent + 2))
            elif isinstance(v, list):
                out.append(f"{pad}{k}: [{', '.join(_yaml_scalar(x) for x in v)}]")
            else:
                out.append(f"{pad}{k}: {_yaml_scalar(v)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                body = to_yaml(item, indent + 2).split("\n")
                body[0] = pad + "- " + body[0][indent + 2:]
                out.extend(body)
            else:
                out.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        out.append(pad + _yaml_scalar(value))
    return "\n".join(out)


def deep_merge(base: dict, override: dict) -> dict:
    """`base` with `override` applied key by key (dicts merge, the rest replaces)."""
    merged = dict(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(merged.get(k), dict):
            merged[k] = deep_merge(merged[k], v)
        else:
            merged[k] = v
    return merged


# --------------------------------------------------------------------------
# Nodes and their configuration


@dataclasses.dataclass
class Node:
    """One program's configuration in a lab. `settings` holds the
    program-specific sections (store, delegation, roaming_partners,
    aaa_clients, cache, eap, client); tests may change them before
    Lab.write_config()."""

    name: str  # file stem: home-aaa.yaml, logs/home-aaa.log, run/home-aaa.pid
    kind: str  # home | visited | client
    identity: str
    realm: str
    credential: Credential
    ca_files: list[Path]
    host: str = LOOPBACK  # where the others reach it
    listen_address: str = LOOPBACK
    port: int = 0  # TLS listen port; 0 for the client
    admin_port: int = 0  # the admin listener (metrics, health) on 127.0.0.1; 0 for the client
    connect: list[dict] = dataclasses.field(default_factory=list)
    settings: dict = dataclasses.field(default_factory=dict)
    log_file: str = ""  # "" = stderr, which the supervisor writes to `log`
    log_level: str = "info"
    diameter_log_level: str = "warn"
    tc_timer: int = 2  # quick reconnection after a peer restarts
    wrapper: list[str] = dataclasses.field(default_factory=list)  # argv prefix, e.g. ip netns exec NS
    dictionary: Path = DICTIONARY
    config: Path = Path()
    log: Path = Path()

    def document(self) -> dict:
        diameter: dict = {"identity": self.identity, "realm": self.realm}
        if self.port:
            diameter["listen"] = {"address": self.listen_address, "tls_port": self.port, "tcp_port": 0}
        diameter["tls"] = {
            "certificate": str(self.credential.certificate),
            "private_key": str(self.credential.private_key),
            "ca": [str(p) for p in self.ca_files],
            "crl": "",
            "priority": "",
        }
        diameter["dictionary"] = str(self.dictionary)
        diameter["app_threads"] = 2
        diameter["tc_timer"] = self.tc_timer
        diameter["tw_timer"] = 30
        diameter["connect"] = self.connect
        doc = {"diameter": diameter,
               "log": {"level": self.log_level, "file": self.log_file, "diameter_level": self.diameter_log_level}}
        if self.admin_port:
            doc["admin"] = {"listen": f"{LOOPBACK}:{self.admin_port}"}
        doc.update(self.settings)
        return doc

    @property
    def admin_url(self) -> str:
        return f"http://{LOOPBACK}:{self.admin_port}" if self.admin_port else ""

    def admin_get(self, path: str, timeout: float = 5.0) -> tuple[int, str]:
        """GET `path` from this daemon's admin listener."""
        return http_get(self.admin_url + path, timeout)

    def render(self) -> str:
        return (f"# {PROGRAMS[self.kind]} configuration for {self.identity}, generated by scripts/lab.\n"
                f"# Every option is explained in {REPO / 'config' / (PROGRAMS[self.kind] + '.yaml')}.\n"
                + to_yaml(self.document()) + "\n")


def peer_entry(node: Node) -> dict:
    return {"identity": node.identity, "address": node.host, "port": node.port, "tls": True}


# --------------------------------------------------------------------------
# The daemons' admin listener (metrics, health)

def http_get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """Status and body of a GET; an HTTP error status is returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of `name` in a Prometheus text scrape whose
    labels include `labels` (0 when there is none)."""
    total = 0.0
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        have = dict(_LABEL.findall(m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


# --------------------------------------------------------------------------
# Supervised processes

def _read_int(path: Path) -> Optional[int]:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int, exe: Optional[Path] = None) -> bool:
    """Whether `pid` runs (not a zombie) and, if `exe` is given, runs it:
    a pid file may outlive its process and the pid be reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat[stat.rindex(")") + 2] in "ZX":
        return False
    if exe is not None:
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:2]
        except OSError:
            return False
        # argv[1] too: a script runs as "interpreter script ...".
        return any(os.path.basename(a.decode(errors="replace")) == exe.name for a in argv)
    return True


def describe_exit(rc: Optional[int]) -> str:
    if rc is None:
        return "exit status unknown"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exited {rc}"


def tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:]) or f"({path} is empty)"


def supervise(argv: list[str], pidfile: Path, rcfile: Path, output: Path) -> int:
    """Runs `argv` with stdout+stderr appended to `output`, writes its pid to
    `pidfile`, forwards SIGTERM/SIGINT/SIGHUP to it, and when it exits writes
    its exit status to `rcfile` (negative: killed by that signal). This is how
    `scripts/lab down` learns the exit codes of daemons it did not fork."""
    for f in (rcfile, pidfile):
        f.unlink(missing_ok=True)
    with open(output, "ab", buffering=0) as out:
        try:
            child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        except OSError as e:
            out.write(f"lab: cannot run {argv[0]}: {e}\n".encode())
            rcfile.write_text("127\n")
            return 1

    def forward(signum, _frame):
        try:
            child.send_signal(signum)
        except ProcessLookupError:
            pass

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, forward)
    tmp = pidfile.with_suffix(".pid.tmp")
    tmp.write_text(f"{child.pid}\n")
    tmp.replace(pidfile)
    rc = child.wait()
    tmp = rcfile.with_suffix(".rc.tmp")
    tmp.write_text(f"{rc}\n")
    tmp.replace(rcfile)
    pidfile.unlink(missing_ok=True)
    return 0


class Daemon:
    """A daemon of a lab, started through the supervisor (detached from the
    caller's session so that `scripts/lab up` can return)."""

    def __init__(self, node: Node, run_dir: Path, build: Path, detach: bool = True):
        self.node = node
        # detach: a session of its own, so that the daemon outlives the
        # command that started it (scripts/lab up). Tests keep their
        # daemons in their own process group instead.
        self.detach = detach
        self.exe = binary(node.kind, build)
        self.pidfile = run_dir / f"{node.name}.pid"
        self.rcfile = run_dir / f"{node.name}.rc"
        self._supervisor: Optional[subprocess.Popen] = None

    @property
    def pid(self) -> Optional[int]:
        return _read_int(self.pidfile)

    def running(self) -> bool:
        pid = self.pid
        return pid is not None and pid_alive(pid, self.exe)

    def exit_code(self) -> Optional[int]:
        return _read_int(self.rcfile)

    def log_mark(self) -> int:
        try:
            return self.node.log.stat().st_size
        except OSError:
            return 0

    def start(self, timeout: float = DEFAULT_WAIT) -> None:
        if self.running():
            raise LabError(f"{self.node.name} already runs (pid {self.pid})")
        if not os.access(self.exe, os.X_OK):
            require_binaries(self.exe.parent.parent)
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.node.log.parent.mkdir(parents=True, exist_ok=True)
        self.rcfile.unlink(missing_ok=True)
        self.pidfile.unlink(missing_ok=True)
        mark = self.log_mark()
        argv = [*self.node.wrapper, str(self.exe), "--config", str(self.node.config), "run"]
        self._supervisor = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "supervise", "--pidfile", str(self.pidfile),
             "--rcfile", str(self.rcfile), "--output", str(self.node.log), "--", *argv],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=self.detach, cwd=str(self.node.config.parent))
        deadline = time.monotonic() + timeout
        while self.pid is None:
            if self._supervisor.poll() is not None or time.monotonic() > deadline:
                raise LabError(f"{self.node.name}: could not be started ({' '.join(argv)}); "
                               f"last lines of {self.node.log}:\n{tail(self.node.log)}")
            time.sleep(0.02)
        self.wait_log(READY_PATTERN, since=mark, timeout=timeout, what="ready")

    def wait_log(self, pattern: str, *, since: int = 0, timeout: float = DEFAULT_WAIT,
                 what: Optional[str] = None) -> str:
        """Waits for a line matching `pattern` written after byte `since` of
        the log; returns it. Fails early, with the log's tail, if the daemon
        exits meanwhile."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with open(self.node.log, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    f.seek(since if since <= size else 0)
                    for line in f.read().decode(errors="replace").splitlines():
                        if rx.search(line):
                            return line
            except OSError:
                pass
            if self.exit_code() is not None:
                raise LabError(f"{self.node.name} ended ({describe_exit(self.exit_code())}) before logging "
                               f"{what or pattern!r}; last lines of {self.node.log}:\n{tail(self.node.log)}")
            if time.monotonic() > deadline:
                raise LabError(f"{self.node.name} did not log {what or pattern!r} within {timeout:.0f} s; "
                               f"last lines of {self.node.log}:\n{tail(self.node.log)}")
            time.sleep(0.05)

    def log_since(self, mark: int) -> str:
        try:
            with open(self.node.log, "rb") as f:
                f.seek(mark)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = DEFAULT_WAIT) -> Optional[int]:
        """SIGTERM, wait for the exit (SIGKILL after `timeout`); returns the
        daemon's exit status, None if it was not running."""
        pid = self.pid
        # A supervisor this object started vouches for its pid file even if
        # the program name check of pid_alive() does not match.
        ours = self._supervisor is not None and self._supervisor.poll() is None

        def alive() -> bool:
            return pid is not None and (pid_alive(pid, self.exe) or (ours and pid_alive(pid)))

        if not alive():
            self._reap()
            return self.exit_code() if pid is not None else None
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.exit_code() is None and alive():
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + timeout
            time.sleep(0.05)
        # The supervisor writes the exit status right after the daemon ends.
        end = time.monotonic() + 5
        while self.exit_code() is None and time.monotonic() < end:
            time.sleep(0.02)
        self._reap()
        return self.exit_code()

    def _reap(self) -> None:
        if self._supervisor is not None:
            try:
                self._supervisor.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._supervisor = None


# --------------------------------------------------------------------------
# aaa-client runs


@dataclasses.dataclass
class AuthResult:
    argv: list[str]
    rc: int
    json: Optional[dict]
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.rc == EXIT_SUCCESS and bool(self.json) and self.json.get("result") == "success"

    def __str__(self) -> str:
        return (f"aaa-client exit {self.rc}, json={json.dumps(self.json)}\n  argv: {' '.join(self.argv)}\n"
                f"  stderr (tail):\n" + "\n".join("    " + l for l in self.stderr.splitlines()[-25:]))


def parse_json_output(stdout: str) -> Optional[dict]:
    """aaa-client --json prints one JSON object; tolerate other lines around it."""
    text = stdout.strip()
    if not text:
        return None
    try:
        v = json.loads(text)
        return v if isinstance(v, dict) else None
    except json.JSONDecodeError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                v = json.loads(line)
                if isinstance(v, dict):
                    return v
            except json.JSONDecodeError:
                continue
    return None


def parse_json_records(stdout: str) -> list[dict]:
    """JSON lines, or one JSON array, or one JSON object holding a list."""
    text = stdout.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise LabError(f"not JSON: {e}: {text[:200]!r}")
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("delegations", "vectors", "items"):
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    raise LabError(f"unexpected JSON: {text[:200]!r}")


# --------------------------------------------------------------------------
# The lab


@dataclasses.dataclass
class Subscriber:
    nai: str
    k: str  # hex
    key_file: Path
    realms: list[str]


class Lab:
    """A set of nodes sharing one CA in one directory. The standard topology
    is built by `standard()`; tests add nodes of their own."""

    def __init__(self, directory: Path, *, build: Optional[Path] = None, key_type: str = "ec",
                 log_level: str = "info", compose: bool = False, detach: bool = True,
                 preferred_ports: Optional[dict[str, int]] = None, dictionary: Optional[Path] = None):
        self.dir = Path(directory).resolve()
        self.build = Path(build).resolve() if build else build_dir()
        self.key_type = key_type
        self.log_level = log_level
        # compose: hosts are the identities (container aliases), every node
        # listens on 0.0.0.0 port 5868, logs go to stderr (docker logs).
        self.compose = compose
        self.detach = detach
        self.dictionary = Path(dictionary).resolve() if dictionary else DICTIONARY
        self.preferred_ports = dict(preferred_ports or {})
        self.certs = self.dir / "certs"
        self.keys_dir = self.dir / "keys"
        self.mobiles_dir = self.dir / "mobiles"
        self.logs = self.dir / "logs"
        self.run_dir = self.dir / "run"
        self.ports = PortAllocator(LOOPBACK)
        self.ca = CertificateAuthority(self.certs, key_type=key_type)
        self.nodes: dict[str, Node] = {}
        self.daemons: dict[str, Daemon] = {}
        self.subscribers: dict[str, Subscriber] = {}
        self.interop: dict[str, Any] = {}
        self._auth_runs = 0

    # ---- PKI

    def credential(self, identity: str, **kwargs) -> Credential:
        """Certificate for `identity` from the lab CA, reusing an existing one."""
        self.ca.ensure()
        stem = kwargs.get("stem") or identity
        cert, key = self.certs / f"{stem}.pem", self.certs / f"{stem}.key"
        if not kwargs and cert.is_file() and key.is_file():
            return Credential(identity, cert, key)
        return self.ca.issue(identity, self.certs, **kwargs)

    def other_ca(self, name: str) -> CertificateAuthority:
        """Another CA (e.g. a rogue one) in certs/<name>/."""
        return CertificateAuthority(self.certs / name, name=f"RoamKey {name} CA", key_type=self.key_type).ensure()

    # ---- topology

    def _node(self, name: str, kind: str, identity: str, realm: str, credential: Optional[Credential],
              ca_files: Optional[list[Path]], listen: bool, port: Optional[int]) -> Node:
        if name in self.nodes:
            raise LabError(f"node {name} exists already")
        node = Node(name=name, kind=kind, identity=identity, realm=realm,
                    credential=credential or self.credential(identity),
                    ca_files=list(ca_files) if ca_files else [self.ca.certificate],
                    log_level=self.log_level, dictionary=self.dictionary)
        if listen:
            # The admin listener stays on loopback, also in a container (the
            # healthcheck runs inside it).
            node.admin_port = ADMIN_PORTS[kind] if self.compose else self.ports.pick()
            if self.compose:
                node.host = node.listen_address = COMPOSE_ADDRESSES.get(name, identity)
                node.port = DIAMETER_TLS_PORT
            elif port is not None:
                node.port = port
            elif self.preferred_ports.get(name) and self.ports.reserve(self.preferred_ports[name]):
                node.port = self.preferred_ports[name]
            else:
                node.port = self.ports.pick()
        node.config = self.dir / f"{name}.yaml"
        node.log = self.logs / f"{name}.log"
        self.nodes[name] = node
        return node

    def add_home(self, name: str = "home-aaa", identity: str = HOME_IDENTITY, realm: str = HOME_REALM, *,
                 delegation: Optional[dict] = None, partners: Optional[list[dict]] = None,
                 store: Optional[Path] = None, master_key: bool | Path = False, port: Optional[int] = None,
                 **kw) -> Node:
        """A home-aaa. `master_key`: True seals K in the store under a new
        master key in keys/<name>-master.key (0600); a Path uses that file."""
        node = self._node(name, "home", identity, realm, kw.get("credential"), kw.get("ca_files"), True, port)
        node.settings = {
            "store": {"path": str(store or self.dir / f"{name}.db")},
            "delegation": deep_merge({"tsk_lifetime": 3600, "tsk_max_uses": 0}, delegation or {}),
            "roaming_partners": partners if partners is not None else [],
        }
        if master_key:
            self.set_master_key(node, self.keys_dir / f"{name}-master.key" if master_key is True else master_key)
        self.daemons[name] = Daemon(node, self.run_dir, self.build, self.detach)
        return node

    def set_master_key(self, home: Node, path: Optional[Path]) -> Optional[Path]:
        """store.master_key_file of `home`: `path` (created with a random
        key if absent, 0600), or None to keep K in clear."""
        if path is None:
            home.settings["store"].pop("master_key_file", None)
            return None
        path = secret_key_file(Path(path))
        home.settings["store"]["master_key_file"] = str(path)
        return path

    def master_key_file(self, home: Optional[Node] = None) -> Optional[Path]:
        f = (home or self.home_node()).settings["store"].get("master_key_file")
        return Path(f) if f else None

    def partner(self, home: Node, realm: str) -> dict:
        """The roaming_partners entry of `realm` at `home` (to change it before write_config)."""
        for p in home.settings["roaming_partners"]:
            if p["realm"] == realm:
                return p
        raise LabError(f"{realm} is no roaming partner of {home.name}")

    def add_partner(self, home: Node, realm: str, peers: list[str], *, delegation: Optional[dict] = None,
                    keks: Optional[Iterable[str]] = None, wrap_with: Optional[str] = None) -> dict:
        """Lets `peers` speak for `realm` at `home` (merges with an existing
        entry). `delegation` overrides the home's policy for this partner
        (tsk_lifetime, tsk_max_uses, rotation_interval); `keks`/`wrap_with`
        as in set_partner_keks."""
        for p in home.settings["roaming_partners"]:
            if p["realm"] == realm:
                p["peers"] = list(dict.fromkeys([*p["peers"], *peers]))
                break
        else:
            p = {"realm": realm, "peers": list(peers)}
            home.settings["roaming_partners"].append(p)
        if delegation is not None:
            p["delegation"] = deep_merge(p.get("delegation", {}), delegation)
        if keks is not None:
            self.set_partner_keks(home, realm, keks, wrap_with=wrap_with)
        return p

    # ---- key-encryption keys (Wrapped-TSK-Key, protocol.md sec. 2 and 3)

    def kek_file(self, partner_realm: str, kek_id: str) -> Path:
        """The KEK `kek_id` agreed between the home and the partner realm:
        keks/<partner realm>/<id>.key, 64 hex digits, 0600, made once."""
        if not re.fullmatch(r"[A-Za-z0-9._-]+", kek_id):
            raise LabError(f"KEK id {kek_id!r}: letters, digits, '.', '_' and '-' only (it names a file)")
        return secret_key_file(self.dir / "keks" / partner_realm / f"{kek_id}.key")

    def set_partner_keks(self, home: Node, partner_realm: str, kek_ids: Iterable[str], *,
                         wrap_with: Optional[str] = None) -> None:
        """roaming_partners[].keks and .wrap_with of `partner_realm` at
        `home`. wrap_with None: the home knows the KEKs but sends TSKs in clear."""
        p = self.partner(home, partner_realm)
        p["keks"] = [{"id": i, "key_file": str(self.kek_file(partner_realm, i))} for i in kek_ids]
        if wrap_with:
            p["wrap_with"] = wrap_with
        else:
            p.pop("wrap_with", None)

    def set_home_realm_keks(self, visited: Node, home_realm: str, kek_ids: Iterable[str]) -> None:
        """visited-aaa home_realms: the KEKs `visited` accepts from
        `home_realm` (any of them unwraps: several allow a roll-over)."""
        realms = visited.settings.setdefault("home_realms", [])
        entry = next((r for r in realms if r["realm"] == home_realm), None)
        if entry is None:
            entry = {"realm": home_realm}
            realms.append(entry)
        entry["keks"] = [{"id": i, "key_file": str(self.kek_file(visited.realm, i))} for i in kek_ids]

    def share_keks(self, home: Node, visited: Node, kek_ids: Iterable[str], *,
                   wrap_with: Optional[str] = None) -> None:
        """The same KEKs on both sides of the home <-> visited link."""
        ids = list(kek_ids)
        self.set_partner_keks(home, visited.realm, ids, wrap_with=wrap_with)
        self.set_home_realm_keks(visited, home.realm, ids)

    def add_visited(self, name: str = "visited-aaa", identity: str = VISITED_IDENTITY,
                    realm: str = VISITED_REALM, *, home: Optional[Node] = None,
                    aaa_clients: Optional[list[str]] = None, partner: bool = True,
                    port: Optional[int] = None, eap: Optional[dict] = None, **kw) -> Node:
        """A visited-aaa dialling `home` (default: every home of the lab).
        Its unacknowledged key update reports (KUR) are kept in
        <name>-state.db, so they survive a restart."""
        node = self._node(name, "visited", identity, realm, kw.get("credential"), kw.get("ca_files"), True, port)
        homes = [home] if home else [n for n in self.nodes.values() if n.kind == "home"]
        node.connect = [peer_entry(h) for h in homes]
        node.settings = {
            "aaa_clients": aaa_clients if aaa_clients is not None else [f"nas1.{realm}"],
            "cache": {"max_entries": 1000000},
            "eap": deep_merge({"max_conversations": 10000, "conversation_timeout": 30, "home_timeout": 5},
                              eap or {}),
            "state": {"path": str(self.dir / f"{name}-state.db")},
        }
        if partner:
            for h in homes:
                self.add_partner(h, realm, [identity])
        self.daemons[name] = Daemon(node, self.run_dir, self.build, self.detach)
        return node

    def add_client(self, name: str = "aaa-client", identity: str = CLIENT_IDENTITY, *,
                   server: Optional[Node] = None, timeout: int = 10, **kw) -> Node:
        server = server or self.nodes["visited-aaa"]
        node = self._node(name, "client", identity, server.realm, kw.get("credential"), kw.get("ca_files"),
                          False, None)
        node.connect = [peer_entry(server)]
        node.settings = {"client": {"server_realm": server.realm, "timeout": timeout}}
        return node

    def standard(self, *, home_delegation: Optional[dict] = None, partner_delegation: Optional[dict] = None,
                 master_key: bool = True, keks: Optional[Iterable[str]] = None,
                 wrap_with: Optional[str] = None) -> "Lab":
        """The lab of `scripts/lab up`: home-aaa (K sealed under a master
        key unless master_key=False), visited-aaa, the AAA client
        nas1.visited.example, and the interop identities (docs/lab.md).
        partner_delegation: the home's policy for visited.example only.
        keks: KEK ids shared by home-aaa and visited-aaa; wrap_with: the one
        home-aaa wraps TSKs under (None: TSKs travel in clear)."""
        self.ca.ensure()
        home = self.add_home(delegation=home_delegation, master_key=master_key)
        visited = self.add_visited(home=home, aaa_clients=[CLIENT_IDENTITY, INTEROP_CLIENT_IDENTITY])
        self.add_partner(home, VISITED_REALM, [INTEROP_VISITED_IDENTITY], delegation=partner_delegation)
        if keks is not None:
            self.share_keks(home, visited, keks, wrap_with=wrap_with)
        self.add_client(server=visited)
        nas = self.credential(INTEROP_CLIENT_IDENTITY)
        aaav = self.credential(INTEROP_VISITED_IDENTITY)
        self.interop = {
            "aaa_client": {"identity": nas.identity, "realm": VISITED_REALM, "certificate": str(nas.certificate),
                           "private_key": str(nas.private_key)},
            "visited": {"identity": aaav.identity, "realm": VISITED_REALM, "certificate": str(aaav.certificate),
                        "private_key": str(aaav.private_key)},
        }
        return self

    def write_configs(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for node in self.nodes.values():
            self.write_config(node)

    def write_config(self, node: Node) -> None:
        if not node.dictionary.is_file() and not self.compose:
            raise LabError(f"dictionary missing: {node.dictionary}")
        node.config.parent.mkdir(parents=True, exist_ok=True)
        node.config.write_text(node.render())

    # ---- home administration

    def home_node(self) -> Node:
        for n in self.nodes.values():
            if n.kind == "home":
                return n
        raise LabError("this lab has no home-aaa")

    def home_cli(self, *args: str, home: Optional[Node] = None, check: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess:
        home = home or self.home_node()
        argv = [str(binary("home", self.build)), "--config", str(home.config), *args]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise LabError(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
        return r

    def add_subscriber(self, nai: str, *, k: Optional[str] = None, realms: Optional[list[str]] = None,
                       home: Optional[Node] = None, provision: bool = True) -> Subscriber:
        """Writes K (hex) to keys/<nai>.key (0600) and provisions it at home
        with an explicit list of realms where it may roam (default: every
        visited realm of the lab)."""
        k = k or secrets.token_hex(32)
        if realms is None:
            realms = sorted({n.realm for n in self.nodes.values() if n.kind == "visited"})
        key_file = self.keys_dir / f"{nai}.key"
        _write_private(key_file, k + "\n")
        sub = Subscriber(nai, k, key_file, list(realms))
        if provision:
            args = ["subscriber", "add", "--nai", nai, "--key-file", str(key_file)]
            for r in realms:
                args += ["--realm", r]
            self.home_cli(*args, home=home)
        self.subscribers[nai] = sub
        return sub

    def delegations(self, nai: str, home: Optional[Node] = None) -> list[dict]:
        """The vectors issued for `nai` (`home-aaa delegations --nai NAI
        --json`, its "vectors"), each {"generation", "visited_realm", ...}."""
        r = self.home_cli("delegations", "--nai", nai, "--json", home=home)
        return parse_json_records(r.stdout)

    def delegation_status(self, nai: str, home: Optional[Node] = None) -> dict:
        """All of `home-aaa delegations --nai NAI --json`: "delegation" (the
        active one or null), "mobile_generation" (what the mobile reported
        holding, KUR UPDATED), "vectors", "revocations" (DRR), "key_pushes"
        (KPR), "key_updates" (KUR), "operator_requests"."""
        r = self.home_cli("delegations", "--nai", nai, "--json", home=home)
        doc = parse_json_output(r.stdout)
        if doc is None:
            raise LabError(f"home-aaa delegations --json printed no JSON object: {r.stdout[:200]!r}")
        return doc

    def wait_delegation_status(self, nai: str, condition, *, what: str, timeout: float = 60,
                               home: Optional[Node] = None) -> dict:
        """Polls delegation_status(nai) until `condition(status)` holds; returns that status."""
        return wait_until(lambda: (lambda st: st if condition(st) else None)(self.delegation_status(nai, home)),
                          timeout=timeout, interval=0.2, what=f"{what} ({nai})")

    @staticmethod
    def generation_of(vector: dict) -> int:
        for key in ("generation", "key_generation", "Key-Generation"):
            if key in vector:
                return int(vector[key])
        raise LabError(f"no generation in delegation {vector}")

    def generations(self, nai: str, home: Optional[Node] = None) -> list[int]:
        return sorted(self.generation_of(v) for v in self.delegations(nai, home))

    # ---- daemons

    def daemon(self, node: Node | str) -> Daemon:
        return self.daemons[node if isinstance(node, str) else node.name]

    def start(self, node: Node | str, timeout: float = DEFAULT_WAIT) -> Daemon:
        d = self.daemon(node)
        d.start(timeout)
        return d

    def stop(self, node: Node | str, timeout: float = DEFAULT_WAIT) -> Optional[int]:
        return self.daemon(node).stop(timeout)

    def wait_peer(self, visited: Node | str, peer_identity: str, state: str = "up", *, since: int = 0,
                  timeout: float = DEFAULT_WAIT) -> str:
        return self.daemon(visited).wait_log(rf"peer {re.escape(peer_identity)} is {state}\b", since=since,
                                             timeout=timeout, what=f"peer {peer_identity} is {state}")

    def start_all(self, timeout: float = DEFAULT_WAIT) -> None:
        """Homes first, then each visited daemon, waiting until it logs its
        link to every home it dials as up."""
        for d in self.daemons.values():
            if d.node.kind == "home":
                d.start(timeout)
        for d in self.daemons.values():
            if d.node.kind == "visited":
                mark = d.log_mark()
                d.start(timeout)
                for peer in d.node.connect:
                    self.wait_peer(d.node, peer["identity"], since=mark, timeout=timeout)

    def stop_all(self, timeout: float = DEFAULT_WAIT) -> dict[str, Optional[int]]:
        """Visited daemons first (they dial the homes), then the homes."""
        order = sorted(self.daemons.values(), key=lambda d: d.node.kind == "home")
        return {d.node.name: d.stop(timeout) for d in order}

    def teardown(self) -> None:
        """Stops everything this lab started; never raises."""
        for d in self.daemons.values():
            try:
                d.stop(timeout=15)
            except Exception as e:  # a finalizer must go on with the other daemons
                print(f"teardown {d.node.name}: {e}", file=sys.stderr)

    # ---- authentication

    def state_file(self, nai: str) -> Path:
        return self.mobiles_dir / f"{nai}.json"

    def auth(self, nai: str, *, client: Node | str = "aaa-client", key: Optional[str] = None,
             key_file: Optional[Path] = None, home_auth: bool = False, tamper: Optional[str] = None,
             state: Optional[Path] = None, extra: Iterable[str] = (), timeout: Optional[float] = None) -> AuthResult:
        """One EAP-TSK conversation with aaa-client --json. K comes from
        `key` (hex), else `key_file`, else the subscriber's key file."""
        node = self.nodes[client] if isinstance(client, str) else client
        argv = [str(binary("client", self.build)), "--config", str(node.config), "auth", "--nai", nai]
        if key is not None:
            argv += ["--key", key]
        else:
            kf = key_file or (self.subscribers[nai].key_file if nai in self.subscribers else None)
            if kf is None:
                raise LabError(f"no key for {nai}: pass key= or key_file=")
            argv += ["--key-file", str(kf)]
        state = state or self.state_file(nai)
        state.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--state", str(state)]
        if home_auth:
            argv.append("--home-auth")
        if tamper:
            argv += ["--tamper", tamper]
        argv += [*extra, "--json"]
        limit = timeout or node.settings["client"]["timeout"] + 60
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=limit, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise LabError(f"aaa-client did not finish within {limit:.0f} s: {' '.join(argv)}\n"
                           f"{(e.stderr or b'')[-2000:]!r}")
        self._auth_runs += 1
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / "aaa-client-runs.log", "a") as f:
            f.write(f"=== run {self._auth_runs}: {' '.join(argv)}\n{r.stderr}=== exit {r.returncode}: "
                    f"{r.stdout.strip()}\n")
        return AuthResult(argv, r.returncode, parse_json_output(r.stdout), r.stdout, r.stderr)

    # ---- lab.json

    def describe(self) -> dict:
        daemons = {}
        for name, d in self.daemons.items():
            n = d.node
            entry = {"identity": n.identity, "realm": n.realm, "host": n.host, "port": n.port,
                     "admin": n.admin_url, "config": str(n.config), "log": str(n.log), "pid_file": str(d.pidfile)}
            if n.kind == "home":
                entry["store"] = n.settings["store"]["path"]
                if n.settings["store"].get("master_key_file"):
                    entry["master_key_file"] = n.settings["store"]["master_key_file"]
            if n.kind == "visited" and n.settings.get("state"):
                entry["state"] = n.settings["state"]["path"]
            daemons[name] = entry
        clients = {n.name: {"identity": n.identity, "realm": n.realm, "config": str(n.config),
                            "server": n.connect[0]["identity"]}
                   for n in self.nodes.values() if n.kind == "client"}
        return {
            "lab_dir": str(self.dir),
            "build_dir": str(self.build),
            "ca": str(self.ca.certificate),
            "daemons": daemons,
            "clients": clients,
            "subscribers": [{"nai": s.nai, "k": s.k, "key_file": str(s.key_file), "realms": s.realms,
                             "state_file": str(self.state_file(s.nai))} for s in self.subscribers.values()],
            "interop": self.interop,
        }

    def write_description(self) -> Path:
        path = self.dir / "lab.json"
        _write_private(path, json.dumps(self.describe(), indent=2) + "\n")  # holds K: 0600
        return path

    def log_tails(self, lines: int = 40) -> str:
        out = []
        for n in self.nodes.values():
            if n.kind != "client" and n.log.exists():
                out.append(f"----- {n.log} (last {lines} lines)\n{tail(n.log, lines)}")
        client_log = self.logs / "aaa-client-runs.log"
        if client_log.exists():
            out.append(f"----- {client_log} (last {lines} lines)\n{tail(client_log, lines)}")
        return "\n".join(out)


# --------------------------------------------------------------------------
# scripts/lab commands


def _load_description(lab_dir: Path) -> dict:
    path = lab_dir / "lab.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise LabError(f"no lab in {lab_dir} (run: scripts/lab up)")
    except json.JSONDecodeError as e:
        raise LabError(f"{path}: {e}")


def _running_daemons(lab_dir: Path, desc: dict) -> dict[str, int]:
    build = Path(desc.get("build_dir") or build_dir())
    running = {}
    for name, d in desc.get("daemons", {}).items():
        pid = _read_int(Path(d["pid_file"]))
        kind = "home" if name.startswith("home") else "visited"
        if pid is not None and pid_alive(pid, binary(kind, build)):
            running[name] = pid
    return running


def _fmt_auth(title: str, r: AuthResult, explanation: str = "") -> str:
    j = r.json or {}
    lines = [title]
    if explanation:
        lines.append(f"   {explanation}")
    if r.ok:
        lines += [f"   result                success",
                  f"   key generation        {j.get('generation')}",
                  f"   EAP-Key-Name          {j.get('eap_key_name')}",
                  f"   MSK                   {'equal at the mobile and the AAA client' if j.get('msk_match') else 'DIFFERENT at the mobile and the AAA client'}",
                  f"   home authenticated    {'yes (HOME_AUTH verified)' if j.get('home_auth') else 'not asked (--home-auth)'}",
                  f"   Diameter round trips  {j.get('diameter_round_trips')}"]
        if j.get("key_updated"):
            lines.append(f"   key updated           yes: the mobile now holds generation {j.get('highest_generation')} "
                         "(pushed by home-aaa, reported back with a KUR)")
    else:
        lines += [f"   result                FAILURE (aaa-client exit {r.rc})",
                  f"   result code           {j.get('result_code')}",
                  f"   reason                {j.get('reason') or '-'}"]
        if not r.json:
            lines += ["   " + l for l in r.stderr.splitlines()[-10:]]
    return "\n".join(lines)


def _delegation_count(lab: Lab, nai: str) -> Optional[list[int]]:
    try:
        return [lab.generation_of(v) for v in lab.delegations(nai)]
    except (LabError, OSError, subprocess.SubprocessError, ValueError):
        return None


def _demo_authentications(lab: Lab, nai: str, retry_for: float = 0) -> bool:
    deadline = time.monotonic() + retry_for
    while True:  # compose: the first try may come before visited-aaa has reached home-aaa
        r1 = lab.auth(nai)
        if r1.ok or time.monotonic() > deadline:
            break
        time.sleep(2)
    print(_fmt_auth(f"1) First authentication of {nai}", r1,
                    "visited-aaa holds no TSK yet: it asks home-aaa for one (Delegation DLR/DLA), "
                    "then runs EAP-TSK itself."))
    after_first = _delegation_count(lab, nai)
    print()
    r2 = lab.auth(nai)
    print(_fmt_auth(f"2) Second authentication of {nai}", r2,
                    "visited-aaa uses the cached TSK: no round trip to home-aaa."))
    after_second = _delegation_count(lab, nai)
    print()
    if after_first is not None and after_second is not None:
        same = "no new one for the second authentication" if after_first == after_second else "one more since"
        print(f"home-aaa has issued {len(after_second)} delegation(s) for {nai} "
              f"(generation {', '.join(map(str, after_second)) or '-'}): {same}.")
    return r1.ok and r2.ok


def cmd_up(lab_dir: Path, restart: bool, key_type: str) -> int:
    desc = None
    if (lab_dir / "lab.json").exists():
        desc = _load_description(lab_dir)
        running = _running_daemons(lab_dir, desc)
        if running and not restart:
            print(f"the lab in {lab_dir} is already up: "
                  + ", ".join(f"{n} (pid {p})" for n, p in running.items()))
            print("  scripts/lab status | scripts/lab down | scripts/lab up --restart")
            return 0
        if running:
            print("restarting the lab")
            cmd_down(lab_dir)
    require_binaries()
    # Keep the CA and certificates of an earlier run (peers configured from
    # lab.json keep working), its ports when they are still free, and K.
    old_ports = {n: d.get("port") for n, d in (desc or {}).get("daemons", {}).items()}
    old_keys = {s["nai"]: s["k"] for s in (desc or {}).get("subscribers", [])}
    lab = Lab(lab_dir, key_type=key_type, preferred_ports=old_ports)
    lab.standard()
    lab.write_configs()
    # A fresh store each time: the demo starts at generation 1 and the mobiles' states are reset with it,
    # and so are visited-aaa's key update reports (they name generations of the old store).
    for name, d in lab.daemons.items():
        state = d.node.settings["store"]["path"] if d.node.kind == "home" else d.node.settings["state"]["path"]
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(state + suffix).unlink(missing_ok=True)
    shutil.rmtree(lab.mobiles_dir, ignore_errors=True)
    for log in lab.logs.glob("*.log"):
        log.unlink()
    for nai in DEMO_SUBSCRIBERS:
        lab.add_subscriber(nai, k=old_keys.get(nai))
    lab.write_description()
    try:
        lab.start_all()
    except LabError:
        lab.teardown()
        raise
    print(f"RoamKey lab is up in {lab_dir}")
    _print_daemons(lab.describe(), _running_daemons(lab_dir, lab.describe()))
    print()
    ok = _demo_authentications(lab, DEMO_SUBSCRIBERS[0])
    print(f"\nlab.json: {lab_dir / 'lab.json'}   logs: {lab.logs}")
    print("next: scripts/lab status | scripts/lab auth bob@home.example | scripts/lab down")
    return 0 if ok else 1


def _print_daemons(desc: dict, running: dict[str, int]) -> None:
    for name, d in desc.get("daemons", {}).items():
        state = f"running, pid {running[name]}" if name in running else "stopped"
        print(f"  {name:<12} {d['identity']:<22} {d['host']}:{d['port']} (TLS)  {state}")
        print(f"  {'':<12} config {d['config']}")
        print(f"  {'':<12} log    {d['log']}")


def cmd_down(lab_dir: Path) -> int:
    desc = _load_description(lab_dir)
    build = Path(desc.get("build_dir") or build_dir())
    # Visited first: it dials home, and its DPR then reaches a live peer.
    names = sorted(desc.get("daemons", {}), key=lambda n: n.startswith("home"))
    worst = 0
    stopped_any = False
    for name in names:
        d = desc["daemons"][name]
        pidfile = Path(d["pid_file"])
        rcfile = pidfile.with_suffix(".rc")
        exe = binary("home" if name.startswith("home") else "visited", build)
        pid = _read_int(pidfile)
        if pid is None or not pid_alive(pid, exe):
            print(f"{name}: not running")
            continue
        stopped_any = True
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + DEFAULT_WAIT
        while pid_alive(pid, exe):
            if time.monotonic() > deadline:
                print(f"{name}: no exit {DEFAULT_WAIT:.0f} s after SIGTERM, sending SIGKILL")
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + DEFAULT_WAIT
            time.sleep(0.05)
        end = time.monotonic() + 5
        while _read_int(rcfile) is None and time.monotonic() < end:
            time.sleep(0.02)
        rc = _read_int(rcfile)
        print(f"{name}: stopped (pid {pid}), {describe_exit(rc)}")
        if rc != 0:
            worst = 1
    if not stopped_any:
        print(f"the lab in {lab_dir} was not running")
    return worst


def cmd_status(lab_dir: Path) -> int:
    desc = _load_description(lab_dir)
    running = _running_daemons(lab_dir, desc)
    n = len(desc.get("daemons", {}))
    print(f"lab {lab_dir}: {len(running)} of {n} daemons running")
    _print_daemons(desc, running)
    print(f"  CA           {desc['ca']}")
    for c in desc.get("clients", {}).values():
        print(f"  AAA client   {c['identity']}  config {c['config']}")
    for s in desc.get("subscribers", []):
        print(f"  subscriber   {s['nai']}  key file {s['key_file']}")
    return 0 if len(running) == n else 3


def _lab_from_description(lab_dir: Path) -> Lab:
    """A Lab object that can run aaa-client and home-aaa against a lab made
    by `up` (configs are not rewritten)."""
    desc = _load_description(lab_dir)
    lab = Lab(lab_dir, build=Path(desc.get("build_dir") or build_dir()))
    lab.ca.certificate = Path(desc["ca"])
    for name, d in desc["daemons"].items():
        kind = "home" if name.startswith("home") else "visited"
        node = Node(name=name, kind=kind, identity=d["identity"], realm=d["realm"],
                    credential=Credential(d["identity"], Path(), Path()), ca_files=[], host=d["host"],
                    port=d["port"], config=Path(d["config"]), log=Path(d["log"]))
        if kind == "home":
            node.settings = {"store": {"path": d.get("store", "")}}
        lab.nodes[name] = node
        lab.daemons[name] = Daemon(node, Path(d["pid_file"]).parent, lab.build)
    for name, c in desc.get("clients", {}).items():
        lab.nodes[name] = Node(name=name, kind="client", identity=c["identity"], realm=c["realm"],
                               credential=Credential(c["identity"], Path(), Path()), ca_files=[],
                               config=Path(c["config"]), settings={"client": {"timeout": 10}})
    for s in desc.get("subscribers", []):
        lab.subscribers[s["nai"]] = Subscriber(s["nai"], s["k"], Path(s["key_file"]), s.get("realms", []))
    return lab


def cmd_auth(lab_dir: Path, nai: str, home_auth: bool, extra: list[str]) -> int:
    lab = _lab_from_description(lab_dir)
    r = lab.auth(nai, home_auth=home_auth, extra=extra)
    print(_fmt_auth(f"Authentication of {nai}", r))
    if r.json:
        print(json.dumps(r.json, indent=2))
    return r.rc


def cmd_home(lab_dir: Path, args: list[str]) -> int:
    """home-aaa's operator commands against the lab's store and configuration."""
    desc = _load_description(lab_dir)
    home = next((d for n, d in desc.get("daemons", {}).items() if n.startswith("home")), None)
    if home is None:
        raise LabError(f"the lab in {lab_dir} has no home-aaa")
    build = Path(desc.get("build_dir") or build_dir())
    args = args[1:] if args[:1] == ["--"] else args
    if not args:
        raise LabError("scripts/lab home COMMAND...: e.g. rotate --nai alice@home.example (home-aaa --help)")
    return subprocess.run([str(binary("home", build)), "--config", home["config"], *args],
                          stdin=subprocess.DEVNULL).returncode


def cmd_render_compose(lab_dir: Path, subscribers: bool) -> int:
    """Certificates and configurations for docker-compose.yml: every node
    has a fixed address on the compose network and listens on port 5868."""
    lab = Lab(lab_dir, compose=True)
    lab.standard()
    lab.write_configs()
    if subscribers:
        require_binaries()
        Path(lab.home_node().settings["store"]["path"]).unlink(missing_ok=True)
        for nai in DEMO_SUBSCRIBERS:
            lab.add_subscriber(nai)
    lab.write_description()
    # The containers may run as another user than the one that rendered.
    for p in [lab.dir, *lab.dir.rglob("*")]:
        if p.is_dir():
            os.chmod(p, 0o755)
    print(f"rendered the compose lab into {lab_dir}")
    return 0


def cmd_demo(lab_dir: Path, retry_for: float) -> int:
    lab = _lab_from_description(lab_dir)
    return 0 if _demo_authentications(lab, DEMO_SUBSCRIBERS[0], retry_for=retry_for) else 1


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="scripts/lab", description="RoamKey lab on loopback (see docs/lab.md)")
    p.add_argument("--lab-dir", type=Path, default=None, help="default: $LAB_DIR, else <build>/lab")
    sub = p.add_subparsers(dest="command", required=True, metavar="{up,down,status,auth,home,render,demo}")
    up = sub.add_parser("up", help="certificates, configs, start home-aaa and visited-aaa, two authentications")
    up.add_argument("--restart", action="store_true", help="restart a lab that is already up")
    up.add_argument("--key-type", choices=["ec", "rsa"], default="ec", help="for a new CA and new certificates")
    sub.add_parser("down", help="SIGTERM the daemons and report their exit codes")
    sub.add_parser("status", help="which daemons run, ports and paths")
    a = sub.add_parser("auth", help="one authentication with aaa-client against the running lab")
    a.add_argument("nai")
    a.add_argument("--home-auth", action="store_true")
    a.add_argument("extra", nargs=argparse.REMAINDER, help="more aaa-client options")
    h = sub.add_parser("home", help="a home-aaa operator command on the lab (rotate, revoke, delegations, ...)")
    h.add_argument("args", nargs=argparse.REMAINDER, help="home-aaa arguments after --config")
    r = sub.add_parser("render", help="certificates and configs only (docker-compose)")
    r.add_argument("--compose", action="store_true", required=True, help="hostnames = identities, port 5868")
    r.add_argument("--no-subscribers", action="store_true", help="do not provision the demo subscribers")
    d = sub.add_parser("demo", help="the two demo authentications against an already running lab")
    d.add_argument("--retry-for", type=float, default=0, help="retry the first one this many seconds")
    if argv[:1] == ["supervise"]:  # internal: how daemons are started
        s = argparse.ArgumentParser(prog="scripts/lab supervise")
        s.add_argument("--pidfile", type=Path, required=True)
        s.add_argument("--rcfile", type=Path, required=True)
        s.add_argument("--output", type=Path, required=True)
        s.add_argument("argv", nargs=argparse.REMAINDER)
        sa = s.parse_args(argv[1:])
        cmd = sa.argv[1:] if sa.argv[:1] == ["--"] else sa.argv
        return supervise(cmd, sa.pidfile, sa.rcfile, sa.output)
    args = p.parse_args(argv)
    lab_dir = (args.lab_dir or default_lab_dir()).resolve()
    try:
        if args.command == "up":
            return cmd_up(lab_dir, args.restart, args.key_type)
        if args.command == "down":
            return cmd_down(lab_dir)
        if args.command == "status":
            return cmd_status(lab_dir)
        if args.command == "auth":
            return cmd_auth(lab_dir, args.nai, args.home_auth, args.extra)
        if args.command == "home":
            return cmd_home(lab_dir, args.args)
        if args.command == "render":
            return cmd_render_compose(lab_dir, not args.no_subscribers)
        if args.command == "demo":
            return cmd_demo(lab_dir, args.retry_for)
    except LabError as e:
        print(f"lab: {e}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

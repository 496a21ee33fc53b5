"""RoamKey as an operator installs it (README, "Install as a service").

* `cmake --install` into a temporary prefix puts exactly the expected files
  there, and the installed programs run and find the dictionary in
  <prefix>/share/roamkey (not the source tree's copy);
* the installed systemd units pass `systemd-analyze verify` and say what the
  README says (Type=notify, the roamkey user, check-config before run ...);
* `cpack -G DEB` makes roamkey_<version>_<arch>.deb: its files, its control
  scripts and conffiles, the dependencies dpkg-shlibdeps computed, and
  lintian without an error.

The prefix is outside the build tree on purpose: a binary inside the build
tree reads the source tree's dictionary (common/config/install_paths.h).
ctest sets ROAMKEY_BUILD_DIR and ROAMKEY_REQUIRE_BINARIES=1 (a build
without the programs is then a failure, not a skip).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import roamkey_lab as L  # noqa: E402

BUILD = Path(os.environ.get("ROAMKEY_BUILD_DIR") or REPO / "build").resolve()
PROGRAMS = ("home-aaa", "visited-aaa", "aaa-client")
DAEMONS = ("home-aaa", "visited-aaa")
EXAMPLES = ("home-aaa.yaml", "visited-aaa.yaml", "aaa-client.yaml")
MAN_PAGES = {"home-aaa": 8, "visited-aaa": 8, "aaa-client": 1}


def _run(argv, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kwargs)


def _require_build() -> None:
    missing = [str(L.binary(k, BUILD)) for k in L.PROGRAMS if not os.access(L.binary(k, BUILD), os.X_OK)]
    if not (BUILD / "cmake_install.cmake").is_file():
        missing.append(str(BUILD / "cmake_install.cmake"))
    if missing:
        why = "not built: " + ", ".join(missing)
        if os.environ.get("ROAMKEY_REQUIRE_BINARIES") == "1":
            pytest.fail(why)
        pytest.skip(why)


def _files(root: Path) -> set[str]:
    """Every file and symlink under `root`, as paths relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if not p.is_dir() or p.is_symlink()}


def _expected_files(prefix: str, etc: str) -> set[str]:
    """What an install holds: `prefix` is where the prefix is ("" for the
    install root itself, "usr/" in the package), `etc` the sysconfdir."""
    files = {f"bin/{p}" for p in PROGRAMS}
    files |= {"share/roamkey/roamkey.xml", "share/doc/roamkey/copyright", "share/doc/roamkey/changelog.gz"}
    files |= {f"share/doc/roamkey/examples/{e}" for e in EXAMPLES}
    files |= {f"share/man/man{s}/{p}.{s}.gz" for p, s in MAN_PAGES.items()}
    files |= {f"lib/systemd/system/{d}.service" for d in DAEMONS}
    return {prefix + f for f in files} | {f"{etc}/roamkey/{e}.example" for e in EXAMPLES}


def _unit(path: Path) -> dict[str, list[str]]:
    """A unit file as {"Section.Key": [values in order]}."""
    unit: dict[str, list[str]] = {}
    section = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        unit.setdefault(f"{section}.{key}", []).append(value)
    return unit


def _project_version() -> str:
    m = re.search(r'set\(CPACK_PACKAGE_VERSION "([^"]+)"\)', (BUILD / "CPackConfig.cmake").read_text())
    assert m, "CPACK_PACKAGE_VERSION missing from CPackConfig.cmake"
    return m.group(1)


# ---- cmake --install


@pytest.fixture(scope="module")
def prefix():
    _require_build()
    root = Path(tempfile.mkdtemp(prefix="roamkey-install-"))  # outside the build tree, see above
    try:
        r = _run(["cmake", "--install", BUILD, "--prefix", root])
        assert r.returncode == 0, r.stdout + r.stderr
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_install_puts_exactly_the_expected_files(prefix):
    assert _files(prefix) == _expected_files("", "etc")  # no bench tool, no test
    for p in PROGRAMS:
        assert os.access(prefix / "bin" / p, os.X_OK), p
    assert (prefix / "share/roamkey/roamkey.xml").read_bytes() == (REPO / "dictionaries/roamkey.xml").read_bytes()
    for e in EXAMPLES:
        source = (REPO / "config" / e).read_bytes()
        assert (prefix / "share/doc/roamkey/examples" / e).read_bytes() == source
        assert (prefix / "etc/roamkey" / f"{e}.example").read_bytes() == source


def test_installed_programs_print_their_version(prefix):
    for p in PROGRAMS:
        r = _run([prefix / "bin" / p, "--version"])
        assert r.returncode == 0, r
        assert re.fullmatch(rf"{p} \d+\.\d+\.\d+( \(git [0-9a-zA-Z.\-]+\))?\n", r.stdout), r.stdout


@pytest.fixture(scope="module")
def lab_without_dictionary(tmp_path_factory):
    """The standard lab's configurations with no diameter.dictionary: the
    daemons then use their default one."""
    lab = L.Lab(tmp_path_factory.mktemp("lab"), build=BUILD).standard(master_key=True)
    lab.write_configs()
    for name in DAEMONS:
        node = lab.nodes[name]
        doc = node.document()
        del doc["diameter"]["dictionary"]
        node.config.write_text(L.to_yaml(doc) + "\n")
    return lab


def test_installed_daemons_find_the_dictionary_beside_them(prefix, lab_without_dictionary):
    dictionary = prefix / "share/roamkey/roamkey.xml"
    for name in DAEMONS:
        config = lab_without_dictionary.nodes[name].config
        r = _run([prefix / "bin" / name, "--config", config, "check-config"])
        assert r.returncode == 0, r
        assert r.stdout.strip().endswith(": OK"), r.stdout
    # Proof that it is that file which is read: without it, check-config names it.
    hidden = dictionary.with_suffix(".hidden")
    dictionary.rename(hidden)
    try:
        for name in DAEMONS:
            config = lab_without_dictionary.nodes[name].config
            r = _run([prefix / "bin" / name, "--config", config, "check-config"])
            assert r.returncode == 1, r
            assert f"diameter.dictionary: file not found: {dictionary}" in r.stderr, r.stderr
    finally:
        hidden.rename(dictionary)


def test_man_pages_render_without_warnings_and_cover_every_subcommand(prefix):
    if not shutil.which("groff"):
        pytest.skip("groff is not installed (scripts/install-deps installs man-db)")
    for program, section in MAN_PAGES.items():
        page = gzip.decompress((prefix / f"share/man/man{section}/{program}.{section}.gz").read_bytes()).decode()
        assert page.startswith(".TH ") or "\n.TH " in page, program
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=page, capture_output=True, text=True)
        assert r.returncode == 0 and not r.stderr, f"{program}: {r.stderr}"
        usage = _run([prefix / "bin" / program, "--help"])
        assert usage.returncode == 0, usage
        # CLI11 lists the subcommands last, under "Subcommands:", one per line.
        listing = re.split(r"^subcommands:$", usage.stdout, flags=re.I | re.M)
        assert len(listing) == 2, usage.stdout
        commands = re.findall(r"^  ([a-z][a-z-]+)\s", listing[1], re.M)
        assert commands, usage.stdout
        text = page.replace("\\-", "-")  # roff's \- is a plain hyphen here
        for command in commands:
            assert re.search(rf"\b{re.escape(command)}\b", text), f"{program}({section}) does not describe {command}"


# ---- systemd units


def _check_unit(unit: dict[str, list[str]], daemon: str, bindir: str) -> None:
    config = f"/etc/roamkey/{daemon}.yaml"
    expected = {
        "Unit.Documentation": [f"man:{daemon}(8)"],
        "Unit.After": ["network-online.target"],
        "Unit.Wants": ["network-online.target"],
        "Unit.ConditionPathExists": [config],
        "Service.Type": ["notify"],
        "Service.NotifyAccess": ["main"],
        "Service.ExecStartPre": [f"{bindir}/{daemon} --config {config} check-config"],
        "Service.ExecStart": [f"{bindir}/{daemon} --config {config} run"],
        "Service.ExecReload": ["/bin/kill -HUP $MAINPID"],
        "Service.Restart": ["on-failure"],
        "Service.User": ["roamkey"],
        "Service.Group": ["roamkey"],
        "Service.UMask": ["0027"],
        "Service.StateDirectory": ["roamkey"],
        "Service.StateDirectoryMode": ["0700"],
        "Service.LogsDirectory": ["roamkey"],
        "Service.LogsDirectoryMode": ["0750"],
        "Service.ConfigurationDirectory": ["roamkey"],
        "Service.NoNewPrivileges": ["yes"],
        "Service.ProtectSystem": ["strict"],
        "Service.ReadWritePaths": ["/var/lib/roamkey /var/log/roamkey"],
        "Service.CapabilityBoundingSet": [""],
        "Service.AmbientCapabilities": [""],
        "Service.RestrictAddressFamilies": ["AF_UNIX AF_INET AF_INET6"],
        "Service.MemoryDenyWriteExecute": ["yes"],
        "Service.SystemCallArchitectures": ["native"],
        "Install.WantedBy": ["multi-user.target"],
    }
    for key, value in expected.items():
        assert unit.get(key) == value, f"{daemon}.service {key}: {unit.get(key)} != {value}"
    for key in ("PrivateTmp", "ProtectHome", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
                "ProtectControlGroups", "RestrictNamespaces", "LockPersonality"):
        assert unit.get(f"Service.{key}") == ["yes"], f"{daemon}.service {key}"


def test_installed_units(prefix):
    for daemon in DAEMONS:
        _check_unit(_unit(prefix / "lib/systemd/system" / f"{daemon}.service"), daemon, f"{prefix}/bin")


def test_installed_units_pass_systemd_analyze_verify(prefix):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (scripts/install-deps installs systemd)")
    units = [prefix / "lib/systemd/system" / f"{d}.service" for d in DAEMONS]
    # MANPATH: Documentation=man:home-aaa(8) is looked up in the installed tree.
    env = {**os.environ, "MANPATH": str(prefix / "share/man"), "SYSTEMD_LOG_COLOR": "0"}
    r = _run(["systemd-analyze", "verify", "--man=yes", *units], env=env)
    output = r.stdout + r.stderr
    assert r.returncode == 0, output
    ours = [line for line in output.splitlines() if any(f"{d}.service" in line for d in DAEMONS)]
    assert not ours, output


# ---- the Debian package


@pytest.fixture(scope="module")
def deb():
    _require_build()
    for tool in ("cpack", "dpkg-deb", "dpkg-shlibdeps"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (scripts/install-deps installs cmake and dpkg-dev)")
    out = Path(tempfile.mkdtemp(prefix="roamkey-deb-"))
    try:
        r = _run(["cpack", "-G", "DEB", "-B", out, "--config", BUILD / "CPackConfig.cmake"], cwd=BUILD, timeout=600)
        assert r.returncode == 0, r.stdout + r.stderr
        arch = _run(["dpkg", "--print-architecture"]).stdout.strip()
        debs = sorted(out.glob("*.deb"))
        assert [d.name for d in debs] == [f"roamkey_{_project_version()}_{arch}.deb"], r.stdout
        yield debs[0]
    finally:
        shutil.rmtree(out, ignore_errors=True)


def test_package_contents(deb):
    listing = _run(["dpkg-deb", "-c", deb])
    assert listing.returncode == 0, listing
    entries = {}
    for line in listing.stdout.splitlines():
        fields = line.split(None, 5)
        entries[fields[5].split(" -> ")[0].removeprefix("./").rstrip("/")] = (fields[0], fields[1])
    files = {p for p, (mode, _) in entries.items() if not mode.startswith("d")}
    assert files == _expected_files("usr/", "etc"), sorted(files)
    assert all(owner == "root/root" for _, owner in entries.values()), listing.stdout
    assert entries["usr/bin/home-aaa"][0] == "-rwxr-xr-x"
    assert not any(p.startswith("usr/local") for p in entries), "nothing under /usr/local"


def test_package_control(deb, tmp_path):
    fields = {}
    for name in ("Package", "Version", "Architecture", "Section", "Maintainer", "Depends"):
        fields[name] = _run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    assert fields["Package"] == "roamkey" and fields["Section"] == "net", fields
    assert fields["Maintainer"], fields
    depends = {d.split()[0] for d in fields["Depends"].split(", ")}
    # Computed by dpkg-shlibdeps, plus what the scripts and the daemons load at run time.
    for needed in ("libc6", "libfdcore6", "libfdproto6", "libssl3", "libsqlite3-0", "adduser",
                   "freediameter-extensions"):
        assert needed in depends, fields["Depends"]

    control = tmp_path / "control"
    assert _run(["dpkg-deb", "-e", deb, control]).returncode == 0
    assert {"control", "md5sums", "conffiles", "postinst", "prerm", "postrm"} <= set(os.listdir(control))
    conffiles = (control / "conffiles").read_text().split()
    assert conffiles == sorted(f"/etc/roamkey/{e}.example" for e in EXAMPLES), conffiles
    postinst = (control / "postinst").read_text()
    assert "adduser --system" in postinst and "/var/lib/roamkey" in postinst
    assert not re.search(r"systemctl .*(enable|start)|deb-systemd-invoke start", postinst), "must not start anything"
    for script in ("postinst", "prerm", "postrm"):
        assert os.access(control / script, os.X_OK), script
        assert _run(["sh", "-n", control / script]).returncode == 0, script

    root = tmp_path / "root"
    assert _run(["dpkg-deb", "-x", deb, root]).returncode == 0
    for daemon in DAEMONS:
        _check_unit(_unit(root / "usr/lib/systemd/system" / f"{daemon}.service"), daemon, "/usr/bin")
    # The package's changelog names the version it is built from.
    changelog = gzip.decompress((root / "usr/share/doc/roamkey/changelog.gz").read_bytes()).decode()
    assert changelog.startswith(f"roamkey ({fields['Version']}) "), changelog.splitlines()[0]
    # Stripped (CPACK_STRIP_FILES).
    symbols = _run(["readelf", "-S", root / "usr/bin/home-aaa"]).stdout
    assert ".symtab" not in symbols and ".debug_info" not in symbols


def _stubbed(script: Path, tmp_path: Path, *args: str, stubs: dict[str, int]) -> list[str]:
    """Runs a maintainer script with PATH holding only stand-ins, each of
    which logs its arguments and exits with the status `stubs` gives it:
    nothing on this machine changes, and a command without a stand-in fails
    the script. Returns the commands it ran."""
    bin_dir, log = tmp_path / "stubs", tmp_path / "calls.log"
    bin_dir.mkdir(exist_ok=True)
    log.write_text("")
    for name, status in stubs.items():
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexit {status}\n')
        stub.chmod(0o755)
    r = subprocess.run(["/bin/sh", str(script), *args], env={"PATH": str(bin_dir)}, capture_output=True, text=True)
    assert r.returncode == 0, r
    return log.read_text().splitlines()


def test_maintainer_scripts(deb, tmp_path):
    control = tmp_path / "control"
    assert _run(["dpkg-deb", "-e", deb, control]).returncode == 0
    tools = {t: 0 for t in ("adduser", "install", "chown", "chmod", "systemctl", "deb-systemd-invoke", "rm", "rmdir")}
    # A first install: no user yet (getent 2), no dpkg-statoverride (1).
    calls = _stubbed(control / "postinst", tmp_path, "configure", "", stubs={**tools, "getent": 2,
                                                                          "dpkg-statoverride": 1})
    assert "getent passwd roamkey" in calls, calls
    assert any(c.startswith("adduser --system --group") and c.endswith(" roamkey") and "--home /var/lib/roamkey" in c
               for c in calls), calls
    assert "install -d -m 0700 -o roamkey -g roamkey /var/lib/roamkey" in calls, calls
    assert "chown root:roamkey /etc/roamkey" in calls and "chmod 0750 /etc/roamkey" in calls, calls
    assert not [c for c in calls if re.match(r"(systemctl|deb-systemd-invoke) .*\b(enable|start)\b", c)], calls
    # An upgrade: the user exists, an operator's statoverride is kept.
    calls = _stubbed(control / "postinst", tmp_path, "configure", "0.0.9", stubs={**tools, "getent": 0,
                                                                                "dpkg-statoverride": 0})
    assert not [c for c in calls if c.split()[0] in ("adduser", "install", "chown", "chmod")], calls
    # Purge: the logs go; the state and configuration directories only if empty; never the user.
    calls = _stubbed(control / "postrm", tmp_path, "purge", stubs=tools)
    assert "rm -rf /var/log/roamkey" in calls, calls
    assert "rmdir /var/lib/roamkey" in calls and "rmdir /etc/roamkey" in calls, calls
    assert not [c for c in calls if c.startswith("rm ") and "/var/lib/roamkey" in c], calls
    assert not [c for c in calls if c.split()[0] in ("deluser", "userdel")], calls
    # Remove: nothing but telling systemd (when it runs) that the units are gone.
    calls = _stubbed(control / "postrm", tmp_path, "remove", stubs=tools)
    assert all(c == "systemctl --system daemon-reload" for c in calls), calls


def test_lintian_finds_no_error(deb):
    if not shutil.which("lintian"):
        pytest.skip("lintian is not installed (scripts/install-deps installs it)")
    r = _run(["lintian", "--tag-display-limit", "0", deb], timeout=600)
    output = r.stdout + r.stderr
    errors = [line for line in output.splitlines() if line.startswith("E:")]
    assert not errors and r.returncode == 0, output

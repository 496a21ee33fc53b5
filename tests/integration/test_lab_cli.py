"""scripts/lab up, status and down with the real daemons."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import BUILD, REPO, L, require_daemons


def _lab(lab_dir, *args):
    env = dict(os.environ, BUILD_DIR=str(BUILD), LAB_DIR=str(lab_dir))
    env.pop("ROAMKEY_BUILD_DIR", None)
    return subprocess.run(["/usr/bin/python3", str(REPO / "scripts" / "lab"), *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_lab_up_status_down(tmp_path):
    require_daemons()
    lab_dir = tmp_path / "lab"
    try:
        up = _lab(lab_dir, "up")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "1) First authentication" in up.stdout and "2) Second authentication" in up.stdout
        assert up.stdout.count("result                success") == 2, up.stdout
        status = _lab(lab_dir, "status")
        assert status.returncode == 0 and "2 of 2 daemons running" in status.stdout, status.stdout
        bob = _lab(lab_dir, "auth", "bob@home.example")
        assert bob.returncode == 0, bob.stdout + bob.stderr
        desc = json.loads((lab_dir / "lab.json").read_text())
        assert desc["interop"]["aaa_client"]["identity"] == "interop-nas.visited.example"

        # An operator command on the lab: a rotation, completed by alice's next authentication.
        rotate = _lab(lab_dir, "home", "rotate", "--nai", "alice@home.example")
        assert rotate.returncode == 0, rotate.stdout + rotate.stderr
        visited_log = Path(desc["daemons"]["visited-aaa"]["log"])
        L.wait_until(lambda: "KPR nai=alice@home.example generation=2" in visited_log.read_text(),
                     what="the pushed generation at visited-aaa")
        alice = _lab(lab_dir, "auth", "alice@home.example")
        assert alice.returncode == 0, alice.stdout + alice.stderr
        assert "key updated           yes: the mobile now holds generation 2" in alice.stdout, alice.stdout
        down = _lab(lab_dir, "down")
        assert down.returncode == 0 and down.stdout.count("exited 0") == 2, down.stdout + down.stderr
        assert _lab(lab_dir, "status").returncode == 3
    finally:
        _lab(lab_dir, "down")

"""`make demo`'s script: a table for every scenario, live narration of
connections, and a clean stop on Ctrl-C."""
import re
import signal
import subprocess
import sys
import time

from tlsfault_harness import paths
from tlsfault_harness.clients import run

SCENARIO_FILES = sorted(p.stem for p in paths.SCENARIOS.glob("*.ini"))


def read_until(proc, marker, timeout=20):
    out = ""
    deadline = time.monotonic() + timeout
    while marker not in out:
        assert time.monotonic() < deadline, f"no {marker!r} in demo output: {out}"
        line = proc.stdout.readline()
        assert line, f"demo exited early: {out}"
        out += line
    return out


def test_demo_serves_every_scenario_and_stops_on_ctrl_c():
    proc = subprocess.Popen([sys.executable, paths.ROOT / "harness" / "demo.py",
                             "--port-base", "0"], stdout=subprocess.PIPE, text=True,
                            cwd=paths.ROOT)
    try:
        out = read_until(proc, "Press Ctrl-C")
        rows = dict(re.findall(r"^(\S+)\s+(\d+)  ", out, re.M))
        assert sorted(rows) == SCENARIO_FILES
        cmd = re.search(r"# https-self-signed\n  (curl .*)\n", out).group(1)
        assert f"https://localhost:{rows['https-self-signed']}/" in cmd
        r = run(cmd.split())
        assert r.rc == 60, r
        line = read_until(proc, "[https-self-signed]")
        assert "client alert unknown_ca(48)" in line
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, rest
    assert "Stopped (" in rest

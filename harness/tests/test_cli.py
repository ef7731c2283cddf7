"""The tlsfault command line: list, show, validate, and serve's refusals."""
import json
import re

from tlsfault_harness import paths
from tlsfault_harness.clients import run
from tlsfault_harness.suite import ServerError, Suite

import pytest

TLSFAULT = paths.SERVER
SCENARIO_FILES = sorted(p.stem for p in paths.SCENARIOS.glob("*.ini"))


def tlsfault(*args, cwd=paths.ROOT):
    return run([TLSFAULT, *args], cwd=cwd, timeout=20)


def test_list_has_every_scenario_file():
    r = tlsfault("list")
    assert r.rc == 0, r.err
    rows = [line.split(None, 3) for line in r.out.splitlines()]
    assert sorted(row[0] for row in rows) == SCENARIO_FILES
    for name, proto, port, summary in rows:
        assert proto in ("https", "ftps-explicit", "ftps-implicit"), name
        assert 1 <= int(port) <= 65535 and summary.strip(), name


def test_list_json_matches_files():
    r = tlsfault("list", "--json")
    data = json.loads(r.out)
    names = sorted(s["scenario"]["name"] for s in data["scenarios"])
    assert "reset" in data["classes"] and "ok" in data["classes"]
    assert names == SCENARIO_FILES


def test_show_gives_source_expectation_and_command():
    r = tlsfault("show", "https-no-binding")
    assert r.rc == 0, r.err
    assert "seed 001" in r.out and "scenario 4" in r.out
    assert "A correct client reports: reset" in r.out
    assert re.search(r"try it .*\n  curl .*https://localhost:8451/", r.out), r.out
    assert "{port}" not in r.out and "{certs}" not in r.out


def test_show_unknown_scenario():
    r = tlsfault("show", "https-nope")
    assert r.rc == 1 and "no scenario named 'https-nope'" in r.err


def test_validate_all_shipped_files():
    r = tlsfault("validate")
    assert r.rc == 0 and f"{len(SCENARIO_FILES)} scenario files OK" in r.out, r.err


BAD = """[scenario]
name = broken
summary = x
bogus = 1
[server]
protocol = gopher
port = 99999
"""


def test_validate_reports_every_error_with_file_and_line(tmp_path):
    f = tmp_path / "broken.ini"
    f.write_text(BAD)
    r = tlsfault("validate", f)
    assert r.rc == 1, r
    assert f"{f}:4: unknown key [scenario] bogus" in r.err
    assert f"{f}:6: [server] protocol: bad value 'gopher'" in r.err
    assert f"{f}:7: [server] port: port must be an integer 0-65535" in r.err
    assert "missing required key [scenario] source" in r.err


def test_serve_refuses_a_directory_with_a_bad_file(tmp_path):
    (tmp_path / "broken.ini").write_text(BAD)
    s = Suite(workdir=tmp_path / "w", scenario_dir=tmp_path)
    with pytest.raises(ServerError) as e:
        s.start()
    assert "broken.ini:4: unknown key [scenario] bogus" in str(e.value)
    assert not s.manifest_path.exists()


def test_serve_on_ipv6_loopback(tmp_path):
    """--bind ::1 is still loopback: no warning, and clients reach it."""
    with Suite(scenarios=["https-valid"], workdir=tmp_path, bind="::1") as s:
        assert s.manifest["https-valid"]["host"] == "::1"
        r = run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
                 s.certs / "ca.pem", f"https://[::1]:{s.port('https-valid')}/"])
        assert (r.rc, r.out) == (0, "200"), r
        assert s.stop() == 0
        assert "insecure" not in s.server_log()


def test_manifest_lists_ephemeral_loopback_ports(suite):
    m = suite.manifest
    assert sorted(m) == SCENARIO_FILES
    ports = [v["port"] for v in m.values()]
    assert len(set(ports)) == len(ports)
    assert all(v["host"] == "127.0.0.1" for v in m.values())


def test_sigterm_flushes_events_and_exits_zero(tmp_path):
    with Suite(scenarios=["https-valid"], workdir=tmp_path) as s:
        r = run(["curl", "-sS", "-o", "/dev/null", "--cacert", s.certs / "ca.pem",
                 s.url("https-valid")])
        assert r.rc == 0, r
        s.event_after("https-valid", 0)
        assert s.stop() == 0

"""The tlsfault command line: list, show, validate, and serve's refusals."""
import json
import re

from tlsfault_harness import paths
from tlsfault_harness.clients import Fetch, run, run_client
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


def _valid_copy_with(tmp_path, old, new):
    """scenarios/https-valid.ini with one line replaced, in a file of its own name."""
    text = (paths.SCENARIOS / "https-valid.ini").read_bytes()
    assert old in text
    d = tmp_path / "scen"
    d.mkdir()
    f = d / "https-valid.ini"
    f.write_bytes(text.replace(old, new))
    line = text[:text.index(old)].count(b"\n") + 1
    return f, line


def test_validate_reports_a_missing_cert_file_with_file_and_line(tmp_path):
    """Issue 10, defect 11: `cert = nope.pem` is an error in validate (as
    tlsctx.c resolves it: in --certs DIR), not first at serve."""
    f, line = _valid_copy_with(tmp_path, b"cert = leaf-valid.chain.pem", b"cert = nope.pem")
    r = tlsfault("validate", f)
    assert r.rc == 1 and "OK" not in r.out, r
    assert r.err == (f"{f}:{line}: [server] cert: build/certs/nope.pem: cannot read: "
                     "No such file or directory\n"), r.err  # the default --certs
    r = tlsfault("validate", "--scenarios", f.parent)
    assert r.rc == 1 and f"{f}:{line}: [server] cert: " in r.err, r
    # serve names the same file:line, in one line, and starts nothing.
    s = Suite(scenarios=["https-valid"], workdir=tmp_path / "w", scenario_dir=f.parent)
    with pytest.raises(ServerError):
        s.start()
    assert s.stop() == 1
    assert s.server_log().splitlines() == [
        f"tlsfault: {f}:{line}: [server] cert: {paths.CERTS}/nope.pem: cannot read: "
        "No such file or directory"]


def test_validate_rejects_a_nul_byte_with_file_and_line(tmp_path):
    """Defect 11: a NUL would cut `leaf-valid.key` to `leaf` without a word."""
    f, line = _valid_copy_with(tmp_path, b"key = leaf-valid.key", b"key = leaf\0-valid.key")
    r = tlsfault("validate", f)
    assert r.rc == 1, r
    assert f"{f}:{line}: NUL byte at column 11" in r.err.splitlines(), r.err


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
        r = run_client(s, "curl", "https-valid", action=Fetch(host="[::1]"))
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
        r = run_client(s, "curl", "https-valid")
        assert r.rc == 0, r
        s.event_after("https-valid", 0)
        assert s.stop() == 0

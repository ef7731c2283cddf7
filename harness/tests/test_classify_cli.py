"""harness/classify, the classifier as a command (a stable interface:
README "The classifier as a command")."""
import json

from tlsfault_harness import paths
from tlsfault_harness.clients import run

CLASSIFY = paths.ROOT / "harness" / "classify"
CURL_SELF_SIGNED = "000\ncurl: (60) SSL certificate problem: self-signed certificate\n"
CURL_HS = "000\ncurl: (35) OpenSSL/3.0.19: error:0A000410:SSL routines::sslv3 alert handshake failure\n"


def classify(*args, stdin=""):
    r = run([CLASSIFY, *args], input=stdin, timeout=30)
    return r, (json.loads(r.out) if r.out.strip().startswith("{") else None)


def test_client_witness_alone():
    r, out = classify("--client", "curl", "--rc", "60", stdin=CURL_SELF_SIGNED)
    assert r.rc == 0, r
    assert out["version"] == 1 and out["says"] == "verify:self-signed"
    assert out["class"] == "self-signed"
    assert out["rule"]["client"] == "curl" and out["rule"]["rc"] == 60
    assert "self-signed certificate" in out["rule"]["pattern"]
    assert "grade" not in out


def test_exit_code_decides_and_unclassified_exits_1():
    r, out = classify("--client", "curl", "--rc", "35", stdin=CURL_SELF_SIGNED)
    assert r.rc == 1 and out["says"] == "unclassified" and out["rule"] is None


def test_generic_alert_names_no_cause():
    r, out = classify("--client", "curl", "--rc", "35", stdin=CURL_HS)
    assert out["says"] == "alert:handshake_failure(40)" and out["class"] == "handshake-failure"


def _events(tmp_path, *events):
    p = tmp_path / "events.jsonl"
    p.write_text("".join(json.dumps(e) + "\n" for e in events))
    return str(p)


def test_with_the_servers_event_the_grade(tmp_path):
    no_suite = {"scenario": "x", "channel": "https", "handshake": "failed",
                "alert_sent": {"name": "handshake_failure", "code": 40, "level": "fatal"},
                "error": "handshake: can't match cipher suite (-501)", "bytes_out": 7}
    r, out = classify("--client", "curl", "--rc", "35", "--expect", "no-shared-cipher",
                      "--event", _events(tmp_path, no_suite), stdin=CURL_HS)
    assert r.rc == 0, r
    assert out["grade"] == "equivalent" and "no-shared-cipher" in out["server"]
    assert out["reason"] and out["grade_rule"]["server"] == "no-shared-cipher"
    # the same words, another cause recorded by the server: a fail, exit 1
    other = dict(no_suite, error="handshake: peer did not return a certificate (-345)")
    r, out = classify("--client", "curl", "--rc", "35", "--expect", "no-shared-cipher",
                      "--event", _events(tmp_path, other), stdin=CURL_HS)
    assert r.rc == 1 and out["grade"] == "fail" and out["problems"]


def test_scenario_expectation_from_the_event(tmp_path):
    ev = {"scenario": "https-self-signed", "channel": "https", "handshake": "failed",
          "alert_received": {"name": "unknown_ca", "code": 48, "level": "fatal"}}
    r, out = classify("--client", "curl", "--rc", "60", "--event", _events(tmp_path, ev),
                      stdin=CURL_SELF_SIGNED)
    assert r.rc == 0 and (out["expected"], out["grade"]) == ("self-signed", "exact"), r


def test_bad_usage_is_exit_2(tmp_path):
    r, _ = classify("--client", "no-such-client", stdin="x")
    assert r.rc == 2 and "unknown client" in r.err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    r, _ = classify("--client", "curl", "--rc", "0", "--expect", "ok", "--event", str(bad),
                    stdin="200")
    assert r.rc == 2 and "not a JSON event" in r.err
    r, _ = classify("--client", "curl", "--rc", "0", "--expect", "ok", "--event",
                    str(tmp_path / "missing.jsonl"), stdin="200")
    assert r.rc == 2 and "No such file" in r.err

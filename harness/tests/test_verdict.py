"""The verdict logic on synthetic observations: each rule must be able to
turn a cell red (the events are what the server would have logged)."""
from tlsfault_harness.clients import Result
from tlsfault_harness.matrix.cell import Cell
from tlsfault_harness.matrix.verdict import expectation, judge

SELF_SIGNED = {"scenario": {"summary": "Self-signed server certificate"},
               "server": {"protocol": "https", "client_auth": "none"},
               "expect": {"class": "self-signed", "alert": "unknown_ca",
                          "variants": {"workaround.verify-none": "ok"}}}
CURL_SELF_SIGNED = "curl: (60) SSL certificate problem: self-signed certificate"


def ev(handshake="failed", alert=None, request=None, sent=None):
    return {"handshake": handshake, "channel": "https",
            "alert_received": {"name": alert} if alert else None,
            "alert_sent": {"name": sent} if sent else None,
            "app": {"request_line": request, "http_status": 200 if request else None},
            "bytes_out": 100, "error": None}


def rec(rc, text, events, profile="default", client="curl"):
    return {"cell": Cell("https-self-signed", client, profile), "status": "ran",
            "result": Result(["x"], rc, "", text), "events": events}


def test_pass_needs_both_witnesses():
    v = judge(rec(60, CURL_SELF_SIGNED, [ev(alert="unknown_ca")]), SELF_SIGNED, "openssl")
    assert (v.status, v.got, v.problems) == ("pass", "self-signed", [])


def test_wrong_alert_turns_red():
    v = judge(rec(60, CURL_SELF_SIGNED, [ev(alert="bad_certificate")]), SELF_SIGNED, "openssl")
    assert v.status == "fail" and "scenario says unknown_ca" in v.problems[0]


def test_application_data_after_failed_verification_turns_red():
    v = judge(rec(60, CURL_SELF_SIGNED, [ev(alert="unknown_ca", request="GET / HTTP/1.1")]),
              SELF_SIGNED, "openssl")
    assert v.status == "fail" and "application data" in v.problems[0]


def test_no_event_turns_red():
    v = judge(rec(60, CURL_SELF_SIGNED, []), SELF_SIGNED, "openssl")
    assert v.status == "fail" and "no connection" in v.problems[0]


def test_client_that_accepts_is_the_headline():
    v = judge(rec(0, "200", [ev("ok", request="GET / HTTP/1.1")]), SELF_SIGNED, "openssl")
    assert v.status == "fail" and v.headline.startswith("CLIENT ACCEPTED")


def test_workaround_profile_expects_success():
    assert expectation(SELF_SIGNED, "curl", "verify-none") == "ok"
    v = judge(rec(0, "200", [ev("ok", request="GET / HTTP/1.1")], profile="verify-none"),
              SELF_SIGNED, "openssl")
    assert v.status == "pass"


def test_timeout_never_passes():
    r = rec(-9, "", [ev()])
    r["result"].timed_out = True
    v = judge(r, SELF_SIGNED, "openssl")
    assert (v.status, v.got) == ("fail", "timeout")


def test_unclassified_never_passes():
    v = judge(rec(1, "???", [ev(alert="unknown_ca")]), SELF_SIGNED, "openssl")
    assert (v.status, v.got) == ("fail", "unclassified")


def test_client_variant_wins_over_class():
    info = {"expect": {"class": "ok", "variants": {"client.java": "peer-rejected-cert"}}}
    assert expectation(info, "java", "default") == "peer-rejected-cert"
    assert expectation(info, "curl", "default") == "ok"

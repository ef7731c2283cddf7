"""Seed 001 (IIS server certificates): every HTTPS scenario against curl
and `openssl s_client`, asserting the client's exact report AND what the
server saw on the wire for that connection."""
import pytest

from tlsfault_harness.clients import Fetch, Handshake, run_client
from tlsfault_harness.clients.openssl import protocol as s_client_protocol
from tlsfault_harness.clients.openssl import verify_error as s_client_verify

CURL_VERIFY = "SSL certificate problem: "
RESET = "Recv failure: Connection reset by peer"

# scenario -> (curl exit code, curl message, s_client verify (num, text) or
#              an s_client error text, the alert the client sends the server)
UNTRUSTED = {
    "https-self-signed": (18, "self-signed certificate", "unknown_ca", 48),
    "https-untrusted-root": (19, "self-signed certificate in certificate chain", "unknown_ca", 48),
    "https-incomplete-chain": (20, "unable to get local issuer certificate", "unknown_ca", 48),
    "https-no-serverauth-eku": (26, "unsuitable certificate purpose", "unsupported_certificate",
                                43),
    "https-expired": (10, "certificate has expired", "certificate_expired", 45),
    "https-not-yet-valid": (9, "certificate is not yet valid", "bad_certificate", 42),
}

RESET_SCENARIOS = {
    "https-cert-without-key": "has no private key",
    "https-key-unusable": "unusable",
    "https-no-binding": "no certificate bound",
}


def assert_alert(ev, field, name, code):
    got = ev[field]
    assert got is not None, f"{field}: none in event {ev}"
    assert (got["name"], got["code"], got["level"]) == (name, code, "fatal"), ev


def assert_hello_seen(ev):
    """Our sniffer decoded the ClientHello the client really sent."""
    hello = ev["hello"]
    assert hello and hello["suites"], ev
    assert hello["sni"] == "localhost", hello


# ---- control ---------------------------------------------------------------
def test_valid_curl(suite):
    m = suite.mark("https-valid")
    r = run_client(suite, "curl", "https-valid")
    assert (r.rc, r.out) == (0, "200"), r
    ev = suite.event_after("https-valid", m)
    assert ev["handshake"] == "ok" and ev["version"] == "TLSv1.3", ev
    assert ev["app"]["request_line"] == "GET / HTTP/1.1" and ev["app"]["http_status"] == 200
    assert ev["alert_received"] is None or ev["alert_received"]["name"] == "close_notify"
    assert_hello_seen(ev)


def test_valid_s_client(suite):
    m = suite.mark("https-valid")
    r = run_client(suite, "openssl", "https-valid")
    assert r.rc == 0 and s_client_verify(r) == (0, "ok"), r.text
    assert "HTTP/1.1 200 OK" in r.out
    ev = suite.event_after("https-valid", m)
    assert ev["handshake"] == "ok" and ev["app"]["request_line"] == "GET / HTTP/1.0"


def test_valid_via_ip_literal(suite):
    """The leaf names 127.0.0.1 too, so clients connecting by IP verify."""
    r = run_client(suite, "curl", "https-valid", action=Fetch(host="127.0.0.1"))
    assert (r.rc, r.out) == (0, "200"), r


# ---- untrusted or unusable server certificates -------------------------------
@pytest.mark.parametrize("scenario", sorted(UNTRUSTED))
def test_untrusted_curl(suite, scenario):
    num, text, alert, code = UNTRUSTED[scenario]
    m = suite.mark(scenario)
    r = run_client(suite, "curl", scenario)
    assert r.rc == 60, r
    assert f"curl: (60) {CURL_VERIFY}{text}" in r.err, r.err
    ev = suite.event_after(scenario, m)
    assert ev["handshake"] == "failed", ev
    assert_alert(ev, "alert_received", alert, code)
    assert ev["app"]["request_line"] is None


@pytest.mark.parametrize("scenario", sorted(UNTRUSTED))
def test_untrusted_s_client(suite, scenario):
    num, text, alert, code = UNTRUSTED[scenario]
    m = suite.mark(scenario)
    r = run_client(suite, "openssl", scenario, action=Handshake())
    assert r.rc == 1, r.text
    assert s_client_verify(r) == (num, text), r.text
    assert "certificate verify failed" in r.err
    ev = suite.event_after(scenario, m)
    assert ev["handshake"] == "failed"
    assert_alert(ev, "alert_received", alert, code)


def test_wrong_host_curl(suite):
    """curl checks the name after the handshake, so the server sees a
    completed handshake and a close_notify, never a request."""
    m = suite.mark("https-wrong-host")
    r = run_client(suite, "curl", "https-wrong-host")
    assert r.rc == 60, r
    assert ("curl: (60) SSL: no alternative certificate subject name matches target host "
            "name 'localhost'") in r.err
    ev = suite.event_after("https-wrong-host", m)
    assert ev["handshake"] == "ok" and ev["app"]["request_line"] is None, ev
    assert ev["alert_received"]["name"] == "close_notify", ev


def test_wrong_host_s_client(suite):
    m = suite.mark("https-wrong-host")
    r = run_client(suite, "openssl", "https-wrong-host", action=Handshake())
    assert r.rc == 1 and s_client_verify(r) == (62, "hostname mismatch"), r.text
    ev = suite.event_after("https-wrong-host", m)
    assert ev["handshake"] == "failed"
    assert_alert(ev, "alert_received", "bad_certificate", 42)


# ---- IIS scenarios 1, 2 and 4: reset after the ClientHello --------------------
@pytest.mark.parametrize("scenario", sorted(RESET_SCENARIOS))
def test_reset_curl(suite, scenario):
    m = suite.mark(scenario)
    r = run_client(suite, "curl", scenario)
    assert r.rc == 35 and f"curl: (35) {RESET}" in r.err, r
    ev = suite.event_after(scenario, m)
    assert ev["handshake"] == "none" and ev["bytes_out"] == 0, ev
    assert RESET_SCENARIOS[scenario] in ev["error"] and ev["error"].endswith("reset")
    assert_hello_seen(ev)


@pytest.mark.parametrize("scenario", sorted(RESET_SCENARIOS))
def test_reset_s_client(suite, scenario):
    m = suite.mark(scenario)
    r = run_client(suite, "openssl", scenario, action=Handshake())
    assert r.rc == 1 and "errno=104" in r.text, r.text  # ECONNRESET
    ev = suite.event_after(scenario, m)
    assert ev["handshake"] == "none" and ev["bytes_out"] == 0


# ---- IIS scenario 3: another (plaintext) service owns the port ----------------
def test_port_taken_curl(suite):
    m = suite.mark("https-port-taken")
    r = run_client(suite, "curl", "https-port-taken")
    assert r.rc == 35 and "wrong version number" in r.err, r
    ev = suite.event_after("https-port-taken", m)
    assert ev["channel"] == "plain" and ev["handshake"] == "none"
    assert ev["app"]["http_status"] == 400, "the other service answers in plain HTTP"
    assert_hello_seen(ev)


def test_port_taken_s_client(suite):
    r = run_client(suite, "openssl", "https-port-taken", action=Handshake())
    assert r.rc == 1 and "ssl3_get_record:wrong version number" in r.err, r.text


# ---- signature by a key that is not the certificate's --------------------------
def test_key_mismatch_curl(suite):
    m = suite.mark("https-key-mismatch")
    r = run_client(suite, "curl", "https-key-mismatch")
    assert r.rc == 35 and "rsa routines" in r.err, r
    ev = suite.event_after("https-key-mismatch", m)
    assert ev["handshake"] == "failed"
    assert_alert(ev, "alert_received", "decrypt_error", 51)


def test_key_mismatch_s_client(suite):
    m = suite.mark("https-key-mismatch")
    r = run_client(suite, "openssl", "https-key-mismatch", action=Handshake())
    assert r.rc == 1 and "tls_process_cert_verify:bad signature" in r.err, r.text
    ev = suite.event_after("https-key-mismatch", m)
    assert_alert(ev, "alert_received", "decrypt_error", 51)


# ---- IIS scenario 5: TLS 1.0-only server ------------------------------------------
def test_tls10_only_client_without_tls10_curl(suite):
    """The document's client allows only TLS 1.1/1.2: it refuses the
    server's TLS 1.0 ServerHello with protocol_version (70)."""
    m = suite.mark("https-tls10-only")
    r = run_client(suite, "curl", "https-tls10-only",
                   extra=("--tlsv1.1", "--tls-max", "1.2"))
    assert r.rc == 35 and "unsupported protocol" in r.err, r
    ev = suite.event_after("https-tls10-only", m)
    assert ev["handshake"] == "failed"
    assert_alert(ev, "alert_received", "protocol_version", 70)
    assert "TLSv1" not in ev["hello"]["versions"] and ev["hello"]["client_version"] == "TLSv1.2"


def test_tls10_only_client_without_tls10_s_client(suite):
    m = suite.mark("https-tls10-only")
    r = run_client(suite, "openssl", "https-tls10-only", action=Handshake(),
                   extra=("-no_tls1",))
    assert r.rc == 1 and "ssl_choose_client_version:unsupported protocol" in r.err, r.text
    assert_alert(suite.event_after("https-tls10-only", m), "alert_received",
                 "protocol_version", 70)


def test_tls10_only_default_clients_still_connect(suite):
    """Known deviation, recorded: Debian 12's OpenSSL 3.0 still enables
    TLS 1.0 with AES128-SHA at its default security level, so curl and
    s_client without options succeed where RFC 8996 says they should not."""
    m = suite.mark("https-tls10-only")
    r = run_client(suite, "curl", "https-tls10-only")
    assert (r.rc, r.out) == (0, "200"), r
    ev = suite.event_after("https-tls10-only", m)
    assert (ev["version"], ev["cipher"]) == ("TLSv1", "AES128-SHA"), ev
    r = run_client(suite, "openssl", "https-tls10-only", action=Handshake())
    assert r.rc == 0 and s_client_protocol(r) == "TLSv1", r.text


# ---- IIS scenario 6: 1/n-1 (0/n) record split intolerance --------------------------
def test_split_intolerant_curl_splits(suite):
    """OpenSSL inserts an empty record before TLS 1.0 CBC data (0/n split);
    the server takes the empty record as the request and closes."""
    m = suite.mark("https-split-record-intolerant")
    r = run_client(suite, "curl", "https-split-record-intolerant")
    assert r.rc == 52 and "curl: (52) Empty reply from server" in r.err, r
    ev = suite.event_after("https-split-record-intolerant", m)
    assert ev["handshake"] == "ok" and ev["version"] == "TLSv1" and ev["cipher"] == "AES128-SHA"
    assert ev["app"]["records"] >= 2 and ev["app"]["http_status"] is None, ev
    assert "first application record held 0 byte(s)" in ev["error"]


def test_split_intolerant_curl_allow_beast(suite):
    """--ssl-allow-beast turns the split off: the same server answers."""
    m = suite.mark("https-split-record-intolerant")
    r = run_client(suite, "curl", "https-split-record-intolerant",
                   extra=("--ssl-allow-beast",))
    assert (r.rc, r.out) == (0, "200"), r
    ev = suite.event_after("https-split-record-intolerant", m)
    assert ev["app"]["records"] == 1 and ev["app"]["http_status"] == 200


def test_split_intolerant_s_client(suite):
    m = suite.mark("https-split-record-intolerant")
    r = run_client(suite, "openssl", "https-split-record-intolerant")
    assert "HTTP/1.1" not in r.out and r.rc == 0, r.text
    ev = suite.event_after("https-split-record-intolerant", m)
    assert ev["app"]["http_status"] is None and ev["app"]["records"] >= 2
    m = suite.mark("https-split-record-intolerant")
    r = run_client(suite, "openssl", "https-split-record-intolerant", extra=("-bugs",))
    assert "HTTP/1.1 200 OK" in r.out, r.text
    assert suite.event_after("https-split-record-intolerant", m)["app"]["records"] == 1

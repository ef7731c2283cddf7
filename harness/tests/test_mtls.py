"""Seed 002 (API gateway -> mutual-TLS backend, "Received fatal alert:
bad_certificate"): every mtls-* scenario x {Java 17 JSSE, curl, openssl
s_client, Python ssl, Node tls}, asserting each client's exact report AND
what the server recorded for that connection (Certificate message and its
length, the client cert's subject/issuer, the CA names advertised, the alert
it sent).

Client families pick the client certificate differently, and that is the
seed's point:
- jsse: the JDK's default KeyManager (SunX509) offers only a key whose
  issuer is among the CertificateRequest's CA names; with none it sends an
  EMPTY Certificate message ("Certificate Length: 0" in the seed's capture).
- openssl (curl, s_client, Python ssl, Node https): the one configured cert
  is sent whatever the CA names say (they are a hint, RFC 5246 7.4.4).
Each client presents the certificate its scenario's [client] cert names
(`show --json`); CLIENT_CERT below is this file's expectation of it.
"""
import re

import pytest

from tlsfault_harness.clients import CLIENTS, Fetch, Target, run_client

# The alerts these scenarios send (RFC 8446 6 / RFC 5246 7.2).
ALERTS = {
    "handshake_failure": 40,
    "bad_certificate": 42,
    "unsupported_certificate": 43,
    "certificate_expired": 45,
    "unknown_ca": 48,
    "certificate_required": 116,
}

CA_A = "/C=JP/O=tlsfault TEST ONLY/CN=tlsfault Client CA A"
CA_B = "/C=JP/O=tlsfault TEST ONLY/CN=tlsfault Client CA B"
ADVERTISED_S_CLIENT = ["C = JP, O = tlsfault TEST ONLY, CN = tlsfault Client CA A"]
ADVERTISED_JAVA = ["CN=tlsfault Client CA A,O=tlsfault TEST ONLY,C=JP"]
# The CA names each scenario's CertificateRequest carries (None: an empty
# list), as the event, s_client and JSSE write them; CA A unless listed.
ADVERTISED = {
    "mtls-advertised-ca-b": (CA_B, ["C = JP, O = tlsfault TEST ONLY, CN = tlsfault Client CA B"],
                             ["CN=tlsfault Client CA B,O=tlsfault TEST ONLY,C=JP"]),
    "mtls-empty-ca-list": (None, None, []),
}


def advertised(scenario):
    """(event's advertised_ca, s_client's list, JSSE's issuers)."""
    return ADVERTISED.get(scenario, (CA_A, ADVERTISED_S_CLIENT, ADVERTISED_JAVA))


def subject(cn):
    return f"/C=JP/O=tlsfault TEST ONLY/CN={cn}"


# The client certificate each scenario gives every client (None: no cert).
CLIENT_CERT = {
    "mtls-valid": "client-a",
    "mtls-client-cert-missing": None,
    "mtls-client-cert-missing-tls13": None,
    "mtls-ca-mismatch": "client-b",
    "mtls-wrong-advertised-ca": "client-b",
    "mtls-ca-mismatch-tls13": "client-b",
    "mtls-wrong-advertised-ca-tls13": "client-b",
    "mtls-advertised-ca-b": "client-b",
    "mtls-empty-ca-list": "client-b",
    "mtls-client-cert-expired": "client-a-expired",
    "mtls-client-cert-no-clientauth-eku": "client-a-no-clientauth",
}
ISSUER = {"client-a": CA_A, "client-b": CA_B, "client-a-expired": CA_A,
          "client-a-no-clientauth": CA_A}
TLS13 = {"mtls-client-cert-missing-tls13", "mtls-ca-mismatch-tls13",
         "mtls-wrong-advertised-ca-tls13"}

# What each client must report, per scenario and client family:
# ("ok",) or ("alert", NAME) — NAME the server alert the client reports.
OK = ("ok",)
EXPECT = {
    "mtls-valid": {"jsse": OK, "openssl": OK},
    "mtls-client-cert-missing": {"jsse": ("alert", "bad_certificate"),
                                 "openssl": ("alert", "bad_certificate")},
    "mtls-client-cert-missing-tls13": {"jsse": ("alert", "certificate_required"),
                                       "openssl": ("alert", "certificate_required")},
    # JSSE finds no key issued by CA A and sends an empty Certificate; the
    # OpenSSL family sends client-b and the server rejects its issuer.
    "mtls-ca-mismatch": {"jsse": ("alert", "bad_certificate"),
                         "openssl": ("alert", "unknown_ca")},
    # The split the issue asks to show: the server would accept client-b
    # (CA B is trusted) but advertises only CA A. JSSE believes the list and
    # sends nothing -> bad_certificate; the OpenSSL family sends client-b -> ok.
    "mtls-wrong-advertised-ca": {"jsse": ("alert", "bad_certificate"), "openssl": OK},
    # The same two on TLS 1.3: JSSE's empty Certificate now meets
    # certificate_required, after JSSE thinks the handshake is done; the
    # OpenSSL family still sends client-b (curl exits 56 on its first read).
    "mtls-ca-mismatch-tls13": {"jsse": ("alert", "certificate_required"),
                               "openssl": ("alert", "unknown_ca")},
    "mtls-wrong-advertised-ca-tls13": {"jsse": ("alert", "certificate_required"),
                                       "openssl": OK},
    # Controls that make the two rows above readable: with CA B advertised,
    # or no CA named at all, JSSE sends client-b like everyone else.
    "mtls-advertised-ca-b": {"jsse": OK, "openssl": OK},
    "mtls-empty-ca-list": {"jsse": OK, "openssl": OK},
    "mtls-client-cert-expired": {"jsse": ("alert", "certificate_expired"),
                                 "openssl": ("alert", "certificate_expired")},
    "mtls-client-cert-no-clientauth-eku": {"jsse": ("alert", "unsupported_certificate"),
                                           "openssl": ("alert", "unsupported_certificate")},
}

# Each alert as the OpenSSL-based clients word it: (OpenSSL 3 error code,
# reason text, Python/Node reason name).
OPENSSL_WORDS = {
    "bad_certificate": ("0A000412", "sslv3 alert bad certificate", "SSLV3_ALERT_BAD_CERTIFICATE"),
    "unsupported_certificate": ("0A000413", "sslv3 alert unsupported certificate",
                                "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE"),
    "certificate_expired": ("0A000415", "sslv3 alert certificate expired",
                            "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
    "unknown_ca": ("0A000418", "tlsv1 alert unknown ca", "TLSV1_ALERT_UNKNOWN_CA"),
    "certificate_required": ("0A00045C", "tlsv13 alert certificate required",
                             "TLSV13_ALERT_CERTIFICATE_REQUIRED"),
}


def expected_message(client, scenario, alert):
    """The exact report (a regex, fully anchored) each client gives."""
    code, text, reason = OPENSSL_WORDS[alert]
    n = ALERTS[alert]
    if client == "java":
        return re.escape(f"javax.net.ssl.SSLHandshakeException: Received fatal alert: {alert}")
    if client == "curl":
        if alert == "certificate_expired":
            # curl (lib/vtls/openssl.c) files SSLV3_ALERT_CERTIFICATE_EXPIRED
            # under CURLE_PEER_FAILED_VERIFICATION: it says it could not
            # verify the SERVER, when the server rejected curl's own cert.
            # Only the server's event (alert 45) tells the truth.
            return re.escape("curl: (60) SSL certificate verification failed")
        if scenario in TLS13:
            # TLS 1.3: curl's handshake is complete before the server reads
            # its Certificate, so the alert arrives on the first read.
            return (r"curl: \(56\) OpenSSL SSL_read: OpenSSL/[\d.]+: "
                    + re.escape(f"error:{code}:SSL routines::{text}, errno 0"))
        return r"curl: \(35\) OpenSSL/[\d.]+: " + re.escape(f"error:{code}:SSL routines::{text}")
    if client == "openssl":
        return (re.escape(f"error:{code}:SSL routines:ssl3_read_bytes:{text}:")
                + r"\S+:\d+:" + re.escape(f"SSL alert number {n}"))
    if client == "python":
        return re.escape(f"SSLError: [SSL: {reason}] {text} (_ssl.c:") + r"\d+\)"
    if client == "node":
        # Node's https names the alert's reason when it ends the handshake
        # (TLS 1.3: after the client's Finished, on its first read); in TLS
        # 1.2 the alert fails the request's pending write: EPROTO.
        prefix = f"ERR_SSL_{reason}: " if scenario in TLS13 else "EPROTO: write EPROTO "
        return (re.escape(f"{prefix}error:{code}:SSL routines:ssl3_read_bytes:{text}:")
                + r"\S+:\d+:" + re.escape(f"SSL alert number {n}"))
    raise AssertionError(client)


def https_outcome(client, suite, scenario):
    """The client's report of a GET of /, the body kept."""
    assert Target.of(suite, scenario).client_cert == CLIENT_CERT[scenario]
    return CLIENTS[client].outcome(run_client(suite, client, scenario, action=Fetch(body=True)))


def assert_alert_sent(ev, name, replaces=None):
    got = ev["alert_sent"]
    assert got is not None, f"no alert sent: {ev}"
    assert (got["name"], got["code"], got["level"]) == (name, ALERTS[name], "fatal"), got
    # Where wolfSSL would have said something else, the event says what.
    want = None if replaces is None else {"name": replaces, "code": ALERTS[replaces]}
    assert got.get("replaces") == want, got


def check_event(ev, scenario, family, expect):
    """What the server saw for this connection."""
    cc = ev["client_cert"]
    cert = CLIENT_CERT[scenario]
    adv = advertised(scenario)[0]
    assert cc["advertised_ca"] == adv, cc
    # Did the client send its certificate? JSSE withholds it when CA names
    # are advertised and its issuer is not among them; every client sends
    # an empty Certificate when it has none (never no Certificate message).
    sent = cert is not None and not (family == "jsse" and adv and ISSUER[cert] != adv)
    assert cc["message"] is True, cc
    if scenario in TLS13 and sent:
        assert (cc["length"], cc["length_source"]) == (None, None), cc  # encrypted
    elif scenario in TLS13:
        # Encrypted: the server infers "empty" from wolfSSL's NO_PEER_CERT.
        assert (cc["length"], cc["length_source"]) == (0, "inferred"), cc
    elif sent:
        assert cc["length"] > 0 and cc["length_source"] == "wire", cc
    else:
        # The seed's capture: "Certificate Length: 0".
        assert (cc["length"], cc["length_source"]) == (0, "wire"), cc
    if sent:
        assert (cc["subject"], cc["issuer"]) == (subject(cert), ISSUER[cert]), cc
        assert cc["presented"] is True
    else:
        assert (cc["presented"], cc["subject"], cc["issuer"]) == (False, None, None), cc

    if expect == OK:
        version = "TLSv1.3" if scenario in TLS13 else "TLSv1.2"
        assert ev["handshake"] == "ok" and ev["version"] == version, ev
        assert cc["verified"] is True, cc
        assert ev["app"]["http_status"] == 200, ev
        assert ev["alert_sent"] is None or ev["alert_sent"]["name"] == "close_notify", ev
        return
    alert = expect[1]
    assert ev["handshake"] == "failed" and ev["closed_by"] == "server", ev
    assert cc["verified"] is False, cc
    if alert == "bad_certificate":
        # wolfSSL's own choice for an empty Certificate in TLS 1.2 is
        # handshake_failure (as RFC 5246 7.4.6 and OpenSSL); the seed's
        # backend sends bad_certificate, so the scenario's server does.
        assert_alert_sent(ev, alert, replaces="handshake_failure")
        assert "did not return a certificate" in ev["error"], ev
    elif alert == "unsupported_certificate":
        # wolfSSL enforces the clientAuth EKU itself (EXTKEYUSE_AUTH_E) but
        # answers bad_certificate; OpenSSL servers say unsupported_certificate.
        assert_alert_sent(ev, alert, replaces="bad_certificate")
        assert "Ext Key Use" in ev["error"], ev
    else:
        assert_alert_sent(ev, alert)


CASES = [(s, c) for s in EXPECT for c in ("java", "curl", "openssl", "python", "node")]


@pytest.mark.parametrize("scenario,client", CASES, ids=[f"{s}-{c}" for s, c in CASES])
def test_mtls(suite, scenario, client):
    m = suite.mark(scenario)
    rep = https_outcome(client, suite, scenario)
    assert not rep.result.timed_out, rep
    family = "jsse" if CLIENTS[client].family == "jsse" else "openssl"
    expect = EXPECT[scenario][family]
    if expect == OK:
        assert rep.ok, rep
        cert = CLIENT_CERT[scenario]
        # The mTLS page names the subject the server verified.
        assert f"verified client: {subject(cert)}\n" in rep.body, rep
    else:
        assert not rep.ok, rep
        assert re.fullmatch(expected_message(client, scenario, expect[1]), rep.message), rep
        if client == "curl" and expect[1] == "certificate_expired":
            assert rep.alert is None, rep  # curl does not name the alert at all
        else:
            assert rep.alert == expect[1], rep
    ev = suite.event_after(scenario, m)
    check_event(ev, scenario, family, expect)

    if client == "java":
        # What JSSE saw and chose: the CA names of the CertificateRequest
        # (none in TLS 1.3 without a keystore: no KeyManager to ask) and the
        # alias it picked, None = the empty Certificate of the seed.
        cert = CLIENT_CERT[scenario]
        adv, _, java_names = advertised(scenario)
        if cert:
            assert rep.details["issuers"] == java_names, rep
            want = cert if adv is None or ISSUER[cert] == adv else None
            assert rep.details["alias"] == want, rep
        if scenario in TLS13:
            # HttpsURLConnection (sun.net.www.http.HttpClient) retries a GET
            # once when the connection fails after the request was written,
            # which in TLS 1.3 is where the alert arrives: two connections.
            evs = suite.events_after(scenario, m, n=2)
            check_event(evs[1], scenario, "jsse", expect)
    if client == "openssl":
        # s_client prints the CertificateRequest's CA names (seed 002,
        # method 1); in TLS 1.3 they come in certificate_authorities.
        assert rep.details["ca_names"] == advertised(scenario)[1], rep


def test_advertised_names_differ_from_trust(suite):
    """mtls-wrong-advertised-ca lists only CA A although it trusts CA B:
    `openssl s_client` shows the list exactly as the seed tells readers to
    check it ("Acceptable client certificate CA names")."""
    rep = https_outcome("openssl", suite, "mtls-wrong-advertised-ca")
    assert rep.ok, rep
    assert rep.details["ca_names"] == ADVERTISED_S_CLIENT, rep
    assert f"verified client: {subject('client-b')}\n" in rep.body, rep

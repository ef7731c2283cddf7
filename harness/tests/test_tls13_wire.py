"""TLS 1.3 on the wire as mainstream servers do it (issue 13, items 2 and 3):
no HelloRetryRequest for the key share curl, OpenSSL and Python send
(X25519), and nothing more from the server once the client sent a fatal
alert (RFC 8446 6)."""
import socket
import ssl
import struct

import pytest

from tlsfault_harness.clients import Handshake, run_client
from tlsfault_harness.clients.openssl import verify_error as s_client_verify

X25519 = "0x001d"


def _records(data):
    """(content type, length) of each TLS record in `data`."""
    out, i = [], 0
    while i + 5 <= len(data):
        ctype, _version, length = struct.unpack(">BHH", data[i:i + 5])
        out.append((ctype, length))
        i += 5 + length
    assert i == len(data), f"a partial record at the end: {data[i:]!r}"
    return out


# ---- item 2: no HelloRetryRequest -----------------------------------------------
def test_curl_tls13_gets_no_hello_retry(suite):
    m = suite.mark("https-valid")
    r = run_client(suite, "curl", "https-valid")
    assert (r.rc, r.out) == (0, "200"), r
    ev = suite.event_after("https-valid", m)
    assert ev["version"] == "TLSv1.3", ev
    assert ev["hello"]["key_shares"] == [X25519], ev["hello"]
    assert ev["hello_retry"] is False, ev


def test_s_client_tls13_gets_no_hello_retry(suite):
    m = suite.mark("https-valid")
    r = run_client(suite, "openssl", "https-valid", extra=("-msg",))
    assert r.rc == 0 and s_client_verify(r) == (0, "ok"), r.text
    # -msg lists each handshake message: one ClientHello, one ServerHello
    assert r.out.count(", ClientHello") == 1 and r.out.count(", ServerHello") == 1, r.out
    ev = suite.event_after("https-valid", m)
    assert ev["hello"]["key_shares"] == [X25519] and ev["hello_retry"] is False, ev
    assert ev["app"]["http_status"] == 200


def test_python_tls13_gets_no_hello_retry(suite):
    m = suite.mark("https-valid")
    ctx = ssl.create_default_context(cafile=str(suite.certs / "ca.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection((suite.host, suite.port("https-valid")), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() == "TLSv1.3"
    ev = suite.event_after("https-valid", m)
    assert ev["hello"]["key_shares"] == [X25519] and ev["hello_retry"] is False, ev


@pytest.mark.parametrize("groups,share", [("X448", "0x001e"), ("P-384", "0x0018")])
def test_other_supported_shares_need_no_retry(suite, groups, share):
    """X448 is built in too; a client betting on P-384 is served as well."""
    m = suite.mark("https-valid")
    r = run_client(suite, "openssl", "https-valid", action=Handshake(),
                   extra=("-groups", groups))
    assert r.rc == 0 and s_client_verify(r) == (0, "ok"), r.text
    ev = suite.event_after("https-valid", m)
    assert ev["hello"]["key_shares"] == [share] and ev["hello_retry"] is False, ev


def test_hello_retry_is_witnessed(suite):
    """The witness can say yes: a key share for a group the server does not
    offer (ffdhe2048), with P-256 also supported, gets a HelloRetryRequest."""
    m = suite.mark("https-valid")
    r = run_client(suite, "openssl", "https-valid", action=Handshake(),
                   extra=("-groups", "ffdhe2048:P-256", "-msg"))
    assert r.rc == 0 and s_client_verify(r) == (0, "ok"), r.text
    assert r.out.count(", ClientHello") == 2, r.out
    ev = suite.event_after("https-valid", m)
    assert ev["hello"]["key_shares"] == ["0x0100"] and ev["hello_retry"] is True, ev
    assert ev["version"] == "TLSv1.3" and ev["handshake"] == "ok"


# ---- item 3: silence after the client's fatal alert ----------------------------------
def test_s_client_alert_gets_no_answer(suite):
    """s_client refuses the self-signed leaf with unknown_ca (in plaintext,
    as OpenSSL does while reading a TLS 1.3 flight); the server answers
    nothing, as no reference server does (it used to add unexpected_message)."""
    m = suite.mark("https-self-signed")
    r = run_client(suite, "openssl", "https-self-signed", action=Handshake(),
                   extra=("-tls1_3",))
    assert r.rc == 1 and s_client_verify(r) == (18, "self-signed certificate"), r.text
    ev = suite.event_after("https-self-signed", m)
    assert ev["version"] is None and ev["handshake"] == "failed", ev
    assert ev["alert_received"] == {"name": "unknown_ca", "code": 48, "level": "fatal"}, ev
    assert ev["alert_sent"] is None, ev
    assert ev["closed_by"] == "client"


def test_no_bytes_after_client_alert(suite):
    """On the wire: the server's flight (ServerHello, then EncryptedExtensions,
    Certificate, CertificateVerify, Finished, each one encrypted record),
    then the client's alert, then EOF with not one byte more."""
    m = suite.mark("https-self-signed")
    ctx = ssl.create_default_context(cafile=str(suite.certs / "ca.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    received = b""
    with socket.create_connection((suite.host, suite.port("https-self-signed")),
                                  timeout=10) as sock:
        while True:
            try:
                tls.do_handshake()
                pytest.fail("the self-signed leaf was accepted")
            except ssl.SSLWantReadError:
                sock.sendall(outgoing.read())
                chunk = sock.recv(65536)
                assert chunk, f"EOF before the client decided; got {received!r}"
                received += chunk
                incoming.write(chunk)
            except ssl.SSLCertVerificationError as e:
                assert e.verify_code == 18, e
                alert = outgoing.read()
                assert _records(alert) == [(21, 2)] and alert[5:] == b"\x02\x30", alert
                sock.sendall(alert)
                break
        while chunk := sock.recv(65536):  # the rest of the flight, if any, then EOF
            received += chunk
    assert [t for t, _ in _records(received)] == [22, 23, 23, 23, 23], _records(received)
    ev = suite.event_after("https-self-signed", m)
    assert ev["bytes_out"] == len(received), (ev["bytes_out"], len(received))
    assert ev["alert_received"]["name"] == "unknown_ca" and ev["alert_sent"] is None, ev

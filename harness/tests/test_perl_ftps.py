"""Seed 000 with the CMS's own client stack (issue 13, items 4 and 5): Perl's
Net::FTP over IO::Socket::SSL prints the document's exact error, the
document's two workarounds map to the module's options, and which
crypto policy breaks the vsftpd 3.0.5 defaults (ftps-legacy-ciphers).

Measured on Debian 12: perl 5.36 (Net::FTP 3.14), IO::Socket::SSL 2.081,
OpenSSL 3.0."""
import re
import time

import pytest

from tlsfault_harness.clients import run_client
from tlsfault_harness.clients.profiles import cnf_cipher_string


def client(name):
    return lambda suite, scenario, profile="default", **kw: run_client(suite, name, scenario,
                                                                        profile, **kw)


curl, ftplib, perl = client("curl"), client("python"), client("perl")

DOCUMENT = "FTP failed to start tls: Proceed with negotiation."
VERIFY_FAILED = "SSL connect attempt failed error:0A000086:SSL routines::certificate verify failed"
HANDSHAKE_FAILURE = ("SSL connect attempt failed error:0A000410:SSL routines::"
                     "sslv3 alert handshake failure")
OK = re.compile(r"FTP ok: logged in, listed \d+ entries")


def control_event(suite, scenario, mark, timeout=10.0):
    """The session's control connection (it ends after its data connections)."""
    deadline = time.monotonic() + timeout
    while True:
        evs = suite.events(scenario)[mark:]
        ctl = [e for e in evs if e["channel"] == "ftp-control"]
        if ctl:
            assert len(ctl) == 1, evs
            return ctl[0]
        assert time.monotonic() < deadline, f"{scenario}: no control event; got {evs}"
        time.sleep(0.02)


def assert_document_error(r, errstr):
    """Line 1: the CMS's words; line 2: IO::Socket::SSL::errstr(); line 3:
    Net::FTP's reply code (the 234 that AUTH TLS got before the handshake)."""
    assert r.rc == 1 and not r.timed_out, r
    assert r.out.splitlines() == [DOCUMENT, errstr, "Net::FTP code 234"], r


def assert_no_login(ctl):
    f = ctl["ftp"]
    assert f["auth"] == "TLS", f  # the 234 reply the message quotes was sent
    assert not f["user_sent"] and not f["pass_sent"], f


@pytest.mark.parametrize("scenario", ["ftps-self-signed", "ftps-private-ca"])
def test_untrusted_certificate_gives_the_document_message(suite, scenario):
    m = suite.mark(scenario)
    r = perl(suite, scenario)
    assert_document_error(r, VERIFY_FAILED)
    ctl = control_event(suite, scenario, m)
    assert ctl["handshake"] == "failed", ctl
    assert ctl["alert_received"] == {"name": "unknown_ca", "code": 48, "level": "fatal"}, ctl
    assert_no_login(ctl)


def test_no_certificate_gives_the_document_message(suite):
    """Same first line; the second names the server's handshake_failure, so
    a reader (and the classifier) can tell it from a rejected certificate."""
    m = suite.mark("ftps-no-cert")
    r = perl(suite, "ftps-no-cert")
    assert_document_error(r, HANDSHAKE_FAILURE)
    ctl = control_event(suite, "ftps-no-cert", m)
    assert ctl["alert_sent"] == {"name": "handshake_failure", "code": 40, "level": "fatal"}, ctl
    assert_no_login(ctl)


@pytest.mark.parametrize("scenario", ["ftps-self-signed", "ftps-private-ca"])
def test_verify_none_workaround(suite, scenario):
    """FTPSSSLVerifyNone = SSL_verify_mode => SSL_VERIFY_NONE."""
    m = suite.mark(scenario)
    r = perl(suite, scenario, "verify-none")
    assert r.rc == 0 and OK.fullmatch(r.out.strip()), r
    assert r.insecure
    ctl = control_event(suite, scenario, m)
    assert ctl["handshake"] == "ok" and ctl["ftp"]["login"] == "ok", ctl


def test_verify_none_cannot_help_without_a_certificate(suite):
    r = perl(suite, "ftps-no-cert", "verify-none")
    assert_document_error(r, HANDSHAKE_FAILURE)


def test_rocky9_emulates_the_rhel_patch(suite):
    """Profile rocky9 passes the policy's CipherString as SSL_cipher_list, as
    RHEL/CentOS's patched module does (PROFILE=SYSTEM): no suite in common
    with vsftpd 3.0.5's defaults, the document's failure."""
    m = suite.mark("ftps-legacy-ciphers")
    r = perl(suite, "ftps-legacy-ciphers", "rocky9")
    assert "--cipher-list" in r.argv, r
    assert_document_error(r, HANDSHAKE_FAILURE)
    ctl = control_event(suite, "ftps-legacy-ciphers", m)
    assert ctl["alert_sent"]["name"] == "handshake_failure", ctl
    assert not {"0x002f", "0x000a"} & set(ctl["hello"]["suites"]), ctl["hello"]


def test_upstream_module_ignores_the_system_policy(suite):
    """Without the patch (Debian's module, upstream's behaviour) the same
    OPENSSL_CONF does not choose the suites: IO::Socket::SSL sets its own
    list, which still has AES128-SHA, and the delivery goes through."""
    m = suite.mark("ftps-legacy-ciphers")
    r = perl(suite, "ftps-legacy-ciphers", "rocky9", system_policy=False)
    assert "--cipher-list" not in r.argv and r.argv[0] == "perl", r
    assert r.rc == 0 and OK.fullmatch(r.out.strip()), r
    ctl = control_event(suite, "ftps-legacy-ciphers", m)
    assert (ctl["version"], ctl["cipher"]) == ("TLSv1.2", "AES128-SHA"), ctl


def test_cipher_aes128_workaround(suite):
    """FTPSOptions SSL_cipher_list => 'AES128', on the rocky9 system."""
    m = suite.mark("ftps-legacy-ciphers")
    r = perl(suite, "ftps-legacy-ciphers", "cipher-aes128")
    assert r.rc == 0 and OK.fullmatch(r.out.strip()), r
    assert r.argv[r.argv.index("--cipher-list") + 1] == "AES128"
    assert control_event(suite, "ftps-legacy-ciphers", m)["cipher"] == "AES128-SHA"


# ---- which crypto policy breaks vsftpd 3.0.5's defaults ----------------------------
@pytest.mark.parametrize("client", [curl, ftplib, perl], ids=["curl", "ftplib", "perl"])
@pytest.mark.parametrize("profile,breaks", [("policy-default", False), ("policy-legacy", False),
                                            ("rocky9", True)])
def test_which_policy_breaks_legacy_ciphers(suite, client, profile, breaks):
    """The published DEFAULT and LEGACY still allow RSA key exchange and
    reach AES128-SHA; only the policy without it (rocky9) fails."""
    m = suite.mark("ftps-legacy-ciphers")
    r = client(suite, "ftps-legacy-ciphers", profile)
    ctl = control_event(suite, "ftps-legacy-ciphers", m)
    if breaks:
        assert r.rc != 0, r
        assert ctl["alert_sent"]["name"] == "handshake_failure", ctl
    else:
        assert r.rc == 0, r
        assert (ctl["version"], ctl["cipher"]) == ("TLSv1.2", "AES128-SHA"), ctl


def test_rocky9_is_the_generated_default_without_rsa_key_exchange():
    """What rocky9.cnf's comment says of its CipherString."""
    default = cnf_cipher_string("policy-default.cnf").split(":")
    assert "kRSA" in default and "kRSAPSK" in default
    derived = [x for x in default if x not in ("kRSA", "kRSAPSK")]
    assert cnf_cipher_string("rocky9.cnf").split(":") == derived

"""Seed 000 (the CMS's FTPS "server delivery"): every FTPS scenario x client
profile x client (curl, lftp, Python's ftplib), asserting the client's exact
report AND what the server recorded for that session (alerts, handshake,
the commands it received, whether USER/PASS crossed the wire and how).

Reports were measured on Debian 12: curl 7.88.1 / OpenSSL 3.0, lftp 4.9.2 /
GnuTLS 3.7, Python 3.11 ftplib / OpenSSL 3.0."""
import hashlib
import json
import os
import socket
import time

import pytest

from tlsfault_harness.clients import FtpGet, FtpPut, run_client, scenario_infos
from tlsfault_harness.clients.profiles import FTP_POLICIES as PROFILES
from tlsfault_harness.ftp_probe import ControlProbe

# this file's names for the client modules it runs (ftplib: clients/python.py)
MODULES = {"curl": "curl", "lftp": "lftp", "ftplib": "python"}


def ftp(client, suite, scenario, profile="default", **kw):
    return run_client(suite, MODULES[client], scenario, profile, **kw)


def curl(suite, scenario, profile="default", **kw):
    return ftp("curl", suite, scenario, profile, **kw)


def lftp(suite, scenario, profile="default", **kw):
    return ftp("lftp", suite, scenario, profile, **kw)


def ftplib(suite, scenario, profile="default", **kw):
    return ftp("ftplib", suite, scenario, profile, **kw)


SCENARIOS = ["ftps-valid", "ftps-self-signed", "ftps-private-ca", "ftps-no-cert",
             "ftps-auth-tls-refused", "ftps-legacy-ciphers", "ftps-tls-required",
             "ftps-implicit-valid", "ftps-implicit-self-signed", "ftps-data-reuse-required"]
LEGACY_SUITES = {"0x002f", "0x000a"}  # AES128-SHA, DES-CBC3-SHA

# The client's exact report per failure: (curl exit code, curl message),
# lftp's error line, (ftplib exception, message prefix).
REPORTS = {
    "self-signed": {
        "curl": (60, "curl: (60) SSL certificate problem: self-signed certificate"),
        "lftp": "Fatal error: Certificate verification: The certificate is NOT trusted. "
                "The certificate issuer is unknown.",
        "ftplib": ("ssl.SSLCertVerificationError",
                   "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                   "self-signed certificate"),
    },
    "untrusted-issuer": {
        "curl": (60, "curl: (60) SSL certificate problem: unable to get local issuer certificate"),
        "lftp": "Fatal error: Certificate verification: The certificate is NOT trusted. "
                "The certificate issuer is unknown.",
        "ftplib": ("ssl.SSLCertVerificationError",
                   "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                   "unable to get local issuer certificate"),
    },
    # The server answers the ClientHello with handshake_failure (40): no
    # certificate at all, or no suite in common (rocky9 vs vsftpd defaults).
    "handshake-failure": {
        "curl": (35, "error:0A000410:SSL routines::sslv3 alert handshake failure"),
        "lftp": "Fatal error: gnutls_handshake: A TLS fatal alert has been received.",
        "ftplib": ("ssl.SSLError",
                   "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure"),
    },
    "auth-tls-refused": {
        "curl": (64, "curl: (64) Requested SSL level failed"),
        "lftp": "Login failed: ftp:ssl-force is set and server does not support or allow SSL",
        "ftplib": ("ftplib.error_perm", "530 Please login with USER and PASS."),
    },
    "tls-required": {
        "curl": (67, "curl: (67) Access denied: 530"),
        "lftp": "Login failed: 530 Non-anonymous sessions must use encryption.",
        "ftplib": ("ftplib.error_perm", "530 Non-anonymous sessions must use encryption."),
    },
    "session-reuse-required": {
        "ftplib": ("ftplib.error_perm", "522 SSL connection failed: session reuse required"),
    },
}
REPORTS["no-shared-cipher"] = REPORTS["handshake-failure"]


def expected(scenario, client, profile):
    """The failure class a (scenario, client, profile) run must report."""
    cert_failure = {"ftps-self-signed": "self-signed", "ftps-implicit-self-signed": "self-signed",
                    "ftps-private-ca": "untrusted-issuer"}
    if scenario in cert_failure:
        return "ok" if profile == "verify-none" else cert_failure[scenario]
    if scenario == "ftps-no-cert":
        return "handshake-failure"  # verify-none cannot help: there is no certificate
    if scenario == "ftps-auth-tls-refused":
        return "auth-tls-refused"
    if scenario == "ftps-legacy-ciphers" and profile == "rocky9":
        return "no-shared-cipher"
    if scenario == "ftps-data-reuse-required" and client == "ftplib":
        return "session-reuse-required"  # ftplib never resumes on the data channel
    return "ok"


def session_events(suite, scenario, mark, timeout=10.0):
    """Every event of one client session: data connections, then the control
    connection (which always ends last)."""
    deadline = time.monotonic() + timeout
    while True:
        evs = suite.events(scenario)[mark:]
        if any(e["channel"] == "ftp-control" for e in evs):
            return evs
        assert time.monotonic() < deadline, f"{scenario}: no control event; got {evs}"
        time.sleep(0.02)


def control_of(evs):
    ctl = [e for e in evs if e["channel"] == "ftp-control"]
    assert len(ctl) == 1, evs
    return ctl[0]


def commands(ctl):
    return [c["cmd"].split(" ")[0] for c in ctl["ftp"]["commands"]]


def assert_report(r, client, cls):
    if cls == "ok":
        assert r.rc == 0 and not r.timed_out, r
        if client == "ftplib":
            assert r.data["ok"], r
        return
    want = REPORTS[cls][client]
    assert not r.timed_out, r
    if client == "curl":
        code, msg = want
        assert r.rc == code, r
        assert r.err.splitlines()[0].endswith(msg), r
    elif client == "lftp":
        assert r.rc == 1, r
        assert want in r.err.splitlines()[0], r
        assert r.err.startswith("ls: "), r
    else:
        exc, msg = want
        assert r.rc == 1 and not r.data["ok"], r
        assert (r.data["exception"], r.data["message"][:len(msg)]) == (exc, msg), r


def assert_no_credentials(ctl):
    f = ctl["ftp"]
    assert not f["user_sent"] and not f["pass_sent"], f
    assert not {"USER", "PASS"} & set(commands(ctl)), f


def assert_events(evs, scenario, client, profile, cls):
    ctl = control_of(evs)
    f = ctl["ftp"]
    password = scenario_infos()[scenario]["ftp"]["password"]
    assert password not in json.dumps(evs), "a secret reached the event log"
    if cls == "ok":
        assert ctl["handshake"] == "ok", ctl
        assert f["control_tls"] and f["login"] == "ok" and f["prot"] == "P", f
        assert not f["user_plaintext"] and not f["pass_plaintext"], f
        assert "PASS <password>" in [c["cmd"] for c in f["commands"]], f
        data = [e for e in evs if e["channel"] == "ftp-data"]
        assert data and all(d["handshake"] == "ok" and d["ftp"]["protected"] for d in data), data
        assert all(d["ftp"]["result"] == 226 for d in data), data
        assert all(d["ftp"]["control_conn"] == ctl["id"] for d in data), data
        if scenario == "ftps-data-reuse-required":
            assert all(d["resumed"] for d in data), data
        if scenario == "ftps-legacy-ciphers":
            assert ctl["version"] == "TLSv1.2", ctl
            assert ctl["cipher"] in ("AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"), ctl
        return
    if cls != "session-reuse-required":
        assert_no_credentials(ctl)  # nothing secret after a failed or refused TLS
    if cls in ("self-signed", "untrusted-issuer"):
        if client == "lftp":
            # GnuTLS (lftp) completes the handshake, checks the certificate
            # afterwards and leaves without an error alert (at most a
            # close_notify, depending on timing).
            ar = ctl["alert_received"]
            assert ctl["handshake"] == "ok", ctl
            assert ar is None or (ar["name"], ar["level"]) == ("close_notify", "warning"), ctl
        else:
            assert ctl["handshake"] == "failed", ctl
            ar = ctl["alert_received"]
            assert (ar["name"], ar["code"], ar["level"]) == ("unknown_ca", 48, "fatal"), ctl
    elif cls in ("handshake-failure", "no-shared-cipher"):
        assert ctl["handshake"] == "failed", ctl
        a = ctl["alert_sent"]
        assert (a["name"], a["code"], a["level"]) == ("handshake_failure", 40, "fatal"), ctl
        assert ctl["hello"] and ctl["hello"]["suites"], ctl
        if cls == "no-shared-cipher":
            # The ClientHello offered no suite the server accepts.
            assert not LEGACY_SUITES & set(ctl["hello"]["suites"]), ctl["hello"]
        assert f["auth"] in ("TLS", "SSL"), f  # 234 was sent first (seed 000)
    elif cls == "auth-tls-refused":
        assert ctl["handshake"] == "none", ctl
        auths = [c for c in f["commands"] if c["cmd"].startswith("AUTH")]
        assert auths and all(c["replies"] == [530] for c in auths), f
    elif cls == "session-reuse-required":
        assert ctl["handshake"] == "ok" and f["login"] == "ok", ctl
        data = [e for e in evs if e["channel"] == "ftp-data"]
        assert len(data) == 1 and data[0]["resumed"] is False, data
        assert data[0]["ftp"]["result"] == 522, data
        assert f["data_reuse_refused"] == 1, f
        assert f["commands"][-1]["replies"] == [150, 522], f


MATRIX = [(s, c, p) for s in SCENARIOS for c in MODULES for p in PROFILES]


@pytest.mark.parametrize("scenario,client,profile", MATRIX,
                         ids=[f"{s}-{c}-{p}" for s, c, p in MATRIX])
def test_matrix(suite, scenario, client, profile):
    cls = expected(scenario, client, profile)
    m = suite.mark(scenario)
    # tls=True: a TLS client on every scenario, ftps-tls-required's too
    # (its scenario's own client is the plaintext one tested below)
    r = ftp(client, suite, scenario, profile, tls=True)
    assert r.insecure == (profile == "verify-none"), r
    assert_report(r, client, cls)
    assert_events(session_events(suite, scenario, m), scenario, client, profile, cls)


# ---- TLS required: clients that do not use TLS -----------------------------
@pytest.mark.parametrize("client", list(MODULES))
def test_tls_required_plaintext(suite, client):
    sc = "ftps-tls-required"
    m = suite.mark(sc)
    r = ftp(client, suite, sc, tls=False)
    assert_report(r, client, "tls-required")
    ctl = control_of(session_events(suite, sc, m))
    f = ctl["ftp"]
    assert ctl["handshake"] == "none" and not f["control_tls"], ctl
    # The user name crossed the wire in clear; the password did not.
    name = scenario_infos()[sc]["ftp"]["user"]
    assert f["user_sent"] and f["user_plaintext"] and f["user"] == name, f
    assert not f["pass_sent"] and f["login"] == "refused", f
    user = [c for c in f["commands"] if c["cmd"].startswith("USER")]
    assert user == [{"cmd": f"USER {name}", "replies": [530]}], f


def test_plaintext_after_tls_failure(suite):
    """A client that falls back to plaintext after the certificate check
    failed: the second session's event names the failed one."""
    sc = "ftps-self-signed"
    m = suite.mark(sc)
    r = ftplib(suite, sc)
    assert_report(r, "ftplib", "self-signed")
    failed = control_of(session_events(suite, sc, m))
    m2 = suite.mark(sc)
    r2 = ftplib(suite, sc, tls=False)
    assert r2.rc == 0 and r2.data["ok"], r2
    ctl = control_of(session_events(suite, sc, m2))
    f = ctl["ftp"]
    assert f["user_plaintext"] and f["pass_plaintext"] and f["login"] == "ok", f
    assert f["after_tls_failure"]["conn"] == failed["id"], f
    assert 0 <= f["after_tls_failure"]["ms_before"] < 60000, f


# ---- real round trips: multi-megabyte upload and download ------------------
def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def payload(tmp_path):
    p = tmp_path / "payload.bin"
    p.write_bytes(os.urandom(5 * 1024 * 1024 + 12345))
    return p


@pytest.mark.parametrize("scenario", ["ftps-valid", "ftps-implicit-valid",
                                      "ftps-data-reuse-required"])
@pytest.mark.parametrize("client", ["curl", "lftp", "ftplib"])
def test_round_trip(suite, scenario, client, payload, tmp_path):
    if client == "ftplib" and scenario == "ftps-data-reuse-required":
        pytest.skip("ftplib does not resume the session: covered by test_matrix (522)")
    name = f"rt-{client}.bin"
    back = tmp_path / "back.bin"
    m = suite.mark(scenario)
    if client == "curl":
        r = curl(suite, scenario, action=FtpPut(payload, name), timeout=60)
        assert r.rc == 0, r
        r = curl(suite, scenario, action=FtpGet(name, back), timeout=60)
    elif client == "lftp":
        r = lftp(suite, scenario, action=(FtpPut(payload, name), FtpGet(name, back)),
                 timeout=60)
    else:
        r = ftplib(suite, scenario, action=(FtpPut(payload, name), FtpGet(name, back)),
                   timeout=60)
    assert r.rc == 0, r
    assert sha256(back) == sha256(payload)
    stored = suite.data_dir / scenario / name
    assert sha256(stored) == sha256(payload), "server did not store the bytes exactly"
    evs = suite.events(scenario)[m:]
    size = payload.stat().st_size
    deadline = time.monotonic() + 10
    while sum(e["ftp"].get("bytes_stored", 0) for e in evs if e["channel"] == "ftp-control") < size:
        assert time.monotonic() < deadline, evs
        time.sleep(0.05)
        evs = suite.events(scenario)[m:]
    ctl = [e for e in evs if e["channel"] == "ftp-control"]
    assert sum(e["ftp"]["bytes_stored"] for e in ctl) == size
    data = [e for e in evs if e["channel"] == "ftp-data"]
    assert {d["ftp"]["bytes"] for d in data} >= {size}, data
    assert all(d["ftp"]["protected"] for d in data), data


# ---- the upload root: no way out ---------------------------------------------
@pytest.fixture
def jail(suite):
    """An outside secret, and links to it planted inside the upload root."""
    root = suite.data_dir / "ftps-valid"
    root.mkdir(parents=True, exist_ok=True)
    secret = suite.data_dir / "outside-secret.txt"
    secret.write_text("must never be served\n")
    for link, target in (("link-to-secret", secret), ("link-to-outside", suite.data_dir)):
        p = root / link
        if not p.is_symlink():
            p.symlink_to(target)
    return root, secret


ESCAPES = [
    ("RETR ../outside-secret.txt", 550, "Permission denied: the path leaves the upload root."),
    ("RETR /../outside-secret.txt", 550, "Permission denied: the path leaves the upload root."),
    ("RETR a/../../outside-secret.txt", 550, "Permission denied: the path leaves the upload root."),
    ("RETR link-to-secret", 550, "Permission denied: symbolic links are not followed."),
    ("RETR link-to-outside/outside-secret.txt", 550,
     "Permission denied: symbolic links are not followed."),
    ("CWD link-to-outside", 550, "Permission denied: symbolic links are not followed."),
    ("CWD ..", 550, "Permission denied: the path leaves the upload root."),
    ("CDUP", 550, "Permission denied: the path leaves the upload root."),
    ("SIZE /etc/passwd", 550, "Could not get file size."),
    ("DELE ../outside-secret.txt", 550, "Permission denied: the path leaves the upload root."),
    ("RNFR link-to-secret", 550, "Permission denied: symbolic links are not followed."),
    ("MKD ../escaped", 550, "Permission denied: the path leaves the upload root."),
]


@pytest.mark.parametrize("line,code,text", ESCAPES, ids=[e[0] for e in ESCAPES])
def test_path_escape_refused(suite, jail, line, code, text):
    p = ControlProbe(suite, "ftps-valid")
    try:
        assert p.login()[0] == 230
        if line.startswith("RETR"):
            assert p.cmd("EPSV")[0] == 229  # vsftpd order: data port first, then the path
        got, lines = p.cmd(line)
        assert got == code and lines[-1].endswith(text), lines
        assert p.cmd("PWD") == (257, ['257 "/" is the current directory'])
    finally:
        p.close()
    assert not (suite.data_dir / "escaped").exists()


def test_store_outside_root_refused(suite, jail):
    p = ControlProbe(suite, "ftps-valid")
    try:
        assert p.login()[0] == 230
        assert p.cmd("PBSZ 0")[0] == 200 and p.cmd("PROT P")[0] == 200
        data = p.pasv_data()
        code, lines = p.cmd("STOR ../planted.txt")
        assert (code, lines[-1]) == (553, "553 Could not create file: Permission denied: the path "
                                          "leaves the upload root."), lines
        data.close()
        assert p.cmd("EPSV")[0] == 229
        code, lines = p.cmd("STOR link-to-secret")
        assert code == 553 and lines[-1].endswith("symbolic links are not followed."), lines
    finally:
        p.close()
    assert not (suite.data_dir / "planted.txt").exists()
    assert jail[1].read_text() == "must never be served\n"


def test_lftp_get_outside_root(suite, jail, tmp_path):
    r = lftp(suite, "ftps-valid", action=FtpGet("../outside-secret.txt", tmp_path / "x"))
    assert r.rc == 1, r
    assert ("get: Access failed: 550 Failed to open file: Permission denied: the path leaves "
            "the upload root. (../outside-secret.txt)") in r.err, r
    assert not (tmp_path / "x").exists() or (tmp_path / "x").read_text() == ""


# ---- bad input on the control channel ---------------------------------------
def test_bad_input_gets_clear_replies(suite):
    sc = "ftps-valid"
    m = suite.mark(sc)
    p = ControlProbe(suite, sc)
    try:
        assert p.cmd("LIST") == (530, ["530 Please login with USER and PASS."])
        assert p.cmd("RETR x") == (530, ["530 Please login with USER and PASS."])
        assert p.cmd("XYZW") == (500, ["500 Unknown command."])
        assert p.cmd("TOOLONGVERB x") == (500, ["500 syntax error: a command is 3 or 4 letters."])
        p.send_raw(b"NO\x00OP\r\n")
        assert p.reply() == (500, ["500 NUL byte in command line."])
        p.send_raw(b"A" * 5000 + b"\r\n")
        assert p.reply() == (500, ["500 Command line too long (limit 2048 bytes)."])
        assert p.cmd("NOOP") == (200, ["200 NOOP ok."])
        assert p.cmd("") == (500, ["500 empty command line."])
        assert p.cmd("PASS x") == (503, ["503 Login with USER first."])
        assert p.cmd(f"USER {p.target.user}")[0] == 331
        assert p.cmd("PASS wrong") == (530, ["530 Login incorrect."])
        assert p.login()[0] == 230
        assert p.cmd("RETR") == (501, ["501 RETR needs an argument."])
        assert p.cmd("PWD x") == (501, ["501 PWD takes no argument."])
        assert p.cmd("TYPE Q") == (504, ["504 Bad TYPE command."])
        assert p.cmd("PORT 127,0,0,1,1,1")[0] == 502
        assert p.cmd("RNTO x") == (503, ["503 RNFR required first."])
        assert p.cmd("LIST") == (425, ["425 Use PORT or PASV first."])
        code, lines = p.cmd("FEAT")  # multi-line (RFC 959 4.2, RFC 2389)
        assert code == 211 and lines[0] == "211-Features:" and lines[-1] == "211 End", lines
        assert " AUTH TLS" in lines and " PROT" in lines and " EPSV" in lines, lines
        code, lines = p.cmd("HELP")
        assert code == 214 and lines[0].startswith("214-") and lines[-1] == "214 Help OK.", lines
        assert p.cmd("QUIT") == (221, ["221 Goodbye."])
    finally:
        p.close()
    ctl = control_of(session_events(suite, sc, m))
    cmds = ctl["ftp"]["commands"]
    assert cmds[:10] == [
        {"cmd": "AUTH TLS", "replies": [234]},
        {"cmd": "LIST", "replies": [530]},
        {"cmd": "RETR x", "replies": [530]},
        {"cmd": "XYZW", "replies": [500]},
        {"cmd": "(bad line: syntax error: a command is 3 or 4 letters)", "replies": [500]},
        {"cmd": "(bad line: NUL byte in command line)", "replies": [500]},
        {"cmd": "(bad line: line too long)", "replies": [500]},
        {"cmd": "NOOP", "replies": [200]},
        {"cmd": "(bad line: empty command line)", "replies": [500]},
        {"cmd": "PASS <password>", "replies": [503]},
    ], cmds
    logged = [c["cmd"] for c in cmds]
    assert "PASS <password>" in logged and "PASS wrong" not in logged, logged
    assert ctl["closed_by"] == "server" and ctl["error"] is None, ctl


def test_commands_before_auth_are_plaintext_facts(suite):
    """On a server that allows plaintext, a client that logs in without TLS
    is recorded as sending USER and PASS in clear."""
    sc = "ftps-valid"
    m = suite.mark(sc)
    p = ControlProbe(suite, sc, tls=False)
    try:
        assert p.cmd("PBSZ 0") == (503, ["503 PBSZ not allowed on insecure control connection."])
        assert p.cmd("PROT P") == (503, ["503 PROT not allowed on insecure control connection."])
        assert p.login()[0] == 230
        assert p.cmd("QUIT")[0] == 221
    finally:
        p.close()
    f = control_of(session_events(suite, sc, m))["ftp"]
    assert f["user_plaintext"] and f["pass_plaintext"] and not f["control_tls"], f


def finish_upload(data):
    """End an upload with a FIN, not a RST: the probe never read the
    server's NewSessionTicket, and closing over unread bytes resets."""
    data.shutdown(socket.SHUT_WR)
    data.settimeout(5)
    try:
        while data.recv(4096):
            pass
    except OSError:
        pass
    data.close()


def test_file_commands(suite):
    p = ControlProbe(suite, "ftps-valid")
    try:
        assert p.login()[0] == 230
        assert p.cmd("MKD sub dir") == (257, ['257 "/sub dir" created'])
        assert p.cmd('MKD q"uote') == (257, ['257 "/q""uote" created'])
        assert p.cmd("CWD sub dir")[0] == 250
        assert p.cmd("PWD") == (257, ['257 "/sub dir" is the current directory'])
        assert p.cmd("PBSZ 0")[0] == 200 and p.cmd("PROT P")[0] == 200
        data = p.pasv_data()
        assert p.cmd("STOR f.txt")[0] == 150
        data.sendall(b"hello\n")
        finish_upload(data)
        assert p.reply() == (226, ["226 Transfer complete."])
        assert p.cmd("SIZE f.txt") == (213, ["213 6"])
        code, lines = p.cmd("MDTM f.txt")
        assert code == 213 and len(lines[0]) == 18, lines
        data = p.pasv_data()
        assert p.cmd("APPE f.txt")[0] == 150
        data.sendall(b"more\n")
        finish_upload(data)
        assert p.reply()[0] == 226
        assert p.cmd("SIZE f.txt") == (213, ["213 11"])
        assert p.cmd("RNFR f.txt") == (350, ["350 Ready for RNTO."])
        assert p.cmd("RNTO g.txt") == (250, ["250 Rename successful."])
        data = p.pasv_data()
        assert p.cmd("MLSD")[0] == 150
        listing = b""
        while chunk := data.recv(65536):
            listing += chunk
        data.close()
        assert p.reply()[0] == 226
        assert listing.startswith(b"type=file;size=11;modify=") and listing.endswith(
            b"; g.txt\r\n"), listing
        assert p.cmd("DELE g.txt") == (250, ["250 Delete operation successful."])
        assert p.cmd("CDUP") == (250, ["250 Directory successfully changed."])
        assert p.cmd("RMD sub dir") == (250, ["250 Remove directory operation successful."])
        assert p.cmd('RMD q"uote')[0] == 250
        assert p.cmd("SIZE g.txt") == (550, ["550 Could not get file size."])
    finally:
        p.close()


def test_pipelining_queue_and_abrupt_ends(suite, payload):
    """Commands pipelined in one record run in order; commands sent during a
    transfer wait for it (RFC 959); a session that vanishes mid-transfer or
    with a data port open leaves the server serving (and writing events)."""
    sc = "ftps-valid"
    (suite.data_dir / sc).mkdir(parents=True, exist_ok=True)
    (suite.data_dir / sc / "pipe.bin").write_bytes(payload.read_bytes())
    m0 = suite.mark(sc)
    p = ControlProbe(suite, sc)
    try:
        t = p.target
        p.send_raw(f"USER {t.user}\r\nPASS {t.password}\r\nPBSZ 0\r\nPROT P\r\n".encode())
        assert [p.reply()[0] for _ in range(4)] == [331, 230, 200, 200]
        data = p.pasv_data()
        p.send_raw(b"RETR pipe.bin\r\nNOOP\r\nSIZE pipe.bin\r\n")
        assert p.reply()[0] == 150
        got = b""
        while chunk := data.recv(1 << 16):
            got += chunk
        data.close()
        assert got == payload.read_bytes()
        assert p.reply() == (226, ["226 Transfer complete."])
        assert p.reply() == (200, ["200 NOOP ok."])  # queued behind the transfer
        assert p.reply() == (213, [f"213 {payload.stat().st_size}"])
        # Vanish mid-transfer: the server must notice and carry on.
        data = p.pasv_data()
        p.send_raw(b"RETR pipe.bin\r\n")
        assert p.reply()[0] == 150
        data.recv(1000)
    finally:
        p.close()
    p = ControlProbe(suite, sc)  # ...and one that leaves with a data port open
    assert p.login()[0] == 230
    assert p.cmd("PASV")[0] == 227
    p.close()
    deadline = time.monotonic() + 10  # both abrupt sessions are logged...
    while sum(e["channel"] == "ftp-control" for e in suite.events(sc)[m0:]) < 2:
        assert time.monotonic() < deadline, suite.events(sc)[m0:]
        time.sleep(0.02)
    m = suite.mark(sc)  # ...and the server still serves a real client
    r = curl(suite, sc)
    assert r.rc == 0, r
    assert control_of(session_events(suite, sc, m))["ftp"]["login"] == "ok"


def test_abor_during_upload(suite):
    sc = "ftps-valid"
    p = ControlProbe(suite, sc)
    try:
        assert p.login()[0] == 230
        assert p.cmd("PBSZ 0")[0] == 200 and p.cmd("PROT P")[0] == 200
        data = p.pasv_data()
        assert p.cmd("STOR aborted.bin")[0] == 150
        data.sendall(b"x" * 100000)
        p.send_raw(b"\xff\xf4\xff\xf2ABOR\r\n")  # Telnet IP + DM, as lftp sends
        assert p.reply() == (426, ["426 Failure writing network stream."])
        assert p.reply() == (226, ["226 ABOR successful."])
        assert p.cmd("NOOP")[0] == 200
        data.close()
    finally:
        p.close()

"""The robustness issue's defects, replayed as a hostile or unlucky client
would (issue 10). Each test starts its own server on 127.0.0.1 with only the
scenarios it needs; every loop and wait is bounded. Bounds are guards far
from the failure they catch (e.g. RSS growth under 64 MB where the defect
grew 1.4 GB), never benchmarks.

TLSFAULT_TEST_SERVER=path runs these tests against another build (e.g. one
from before the fixes, to see each test fail there)."""
import ftplib
import hashlib
import os
import re
import socket
import ssl
import struct
import threading
import time
from pathlib import Path

import pytest

from tlsfault_harness import load_util as lu
from tlsfault_harness import paths
from tlsfault_harness.clients import FtpGet, FtpPut, Target, run_client
from tlsfault_harness.ftp_probe import ControlProbe
from test_limits import _sanitized, make_suite, wait_events

FTP = "ftps-valid"
SERVER = Path(os.environ.get("TLSFAULT_TEST_SERVER", paths.SERVER))
ASAN = _sanitized(SERVER)


def suite_for(tmp_path, scenarios=(FTP,), args=(), env=None, monkeypatch=None):
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    server = lu.server_with_args(tmp_path, args, server=SERVER) if args else SERVER
    return make_suite(tmp_path, scenarios, server=server)


def tree_rss_kb(pid):
    """RSS of the server and every process under it (isolated workers)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += lu.vm_rss_kb(p)
            for task in os.listdir(f"/proc/{p}/task"):
                kids = Path(f"/proc/{p}/task/{task}/children").read_text().split()
                todo += [int(k) for k in kids]
        except (FileNotFoundError, AssertionError, ProcessLookupError):
            pass
    return total


def sha(data):
    return hashlib.sha256(data).hexdigest()


def root(s, scenario=FTP):
    d = s.data_dir / scenario
    d.mkdir(parents=True, exist_ok=True)
    return d


def plain_login(s, scenario=FTP):
    p = ControlProbe(s, scenario, tls=False)
    assert p.login()[0] == 230
    return p


def tls_login(s, scenario=FTP):
    p = ControlProbe(s, scenario)
    assert p.login()[0] == 230
    assert p.cmd("PBSZ 0")[0] == 200 and p.cmd("PROT P")[0] == 200
    return p


def rst_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def still_serves(s, scenario=FTP):
    p = plain_login(s, scenario)
    assert p.cmd("NOOP")[0] == 200
    p.close()


def ftp_events(s, channel, scenario=FTP):
    return [e for e in s.events(scenario) if e["channel"] == channel]


# ---- 1. use-after-free: control close and data connect in one batch --------

def test_control_close_and_data_connect_in_one_batch(tmp_path, monkeypatch):
    """EPSV, then close the control connection and connect to the data port
    at once. The test hook makes the server wait before each epoll_wait, so
    both events land in one batch: the control close ends the session while
    the data port's accept is still queued behind it. 100 rounds; the
    server must survive every one (ASan: no heap-use-after-free)."""
    with suite_for(tmp_path, env={"TLSFAULT_TEST_BATCH_DELAY_MS": "30"},
                   monkeypatch=monkeypatch) as s:
        port, t = s.port(FTP), Target.of(s, FTP)
        for _ in range(100):
            ctl = socket.create_connection(("127.0.0.1", port), timeout=10)
            f = ctl.makefile("rb")
            f.readline()
            ctl.sendall(f"USER {t.user}\r\nPASS {t.password}\r\nEPSV\r\n".encode())
            lines = [f.readline() for _ in range(3)]
            dport = int(re.search(rb"\(\|\|\|(\d+)\|\)", lines[2]).group(1))
            rst_close(ctl)  # one packet, then the connect: both in the delay window
            d = socket.socket()
            d.settimeout(5)
            try:
                d.connect(("127.0.0.1", dport))
            except OSError:
                pass  # the port may be gone already: that is fine too
            d.close()
            assert s.alive(), s.server_log()
        still_serves(s)
        assert s.stop() == 0, s.server_log()


# ---- 2. reply flood: backpressure -------------------------------------------

@pytest.mark.skipif(ASAN, reason="ASan's quarantine inflates RSS")
def test_reply_flood_without_reading_keeps_memory_bounded(tmp_path):
    """30 MB of HELP before login, never reading a reply: the server stops
    reading commands once its replies back up (RSS growth < 64 MB; the
    defect grew 1.4 GB), and still serves others."""
    with suite_for(tmp_path) as s:
        base = tree_rss_kb(s._proc.pid)
        sk = socket.create_connection(("127.0.0.1", s.port(FTP)), timeout=10)
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        chunk = b"HELP\r\n" * 10000
        sk.setblocking(False)
        sent, stuck_since = 0, None
        deadline = time.monotonic() + 20
        while sent < 30_000_000 and time.monotonic() < deadline:
            try:
                sent += sk.send(chunk)
                stuck_since = None
            except BlockingIOError:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 2:
                    break  # the server stopped reading: backpressure reached us
                time.sleep(0.01)
        grown = tree_rss_kb(s._proc.pid) - base
        print(f"\nreply flood: sent {sent / 1e6:.1f} MB, server RSS grew {grown / 1024:.1f} MB")
        assert grown < 64 * 1024, f"RSS grew {grown} kB after {sent} bytes"
        still_serves(s)
        rst_close(sk)
        assert s.stop() == 0


# ---- 3. starvation: a pipelining client beside another ----------------------

def test_pipelined_noops_do_not_starve_another_session(tmp_path):
    """One session pipelines NOOPs as fast as it can (and reads the replies);
    another session on the same scenario still logs in and gets its NOOP
    answered within 2 s (the defect: 13 s)."""
    with suite_for(tmp_path) as s:
        port = s.port(FTP)
        hog = socket.create_connection(("127.0.0.1", port), timeout=10)
        stop = threading.Event()

        def reader():
            hog.settimeout(1)
            while not stop.is_set():
                try:
                    if not hog.recv(1 << 16):
                        return
                except (socket.timeout, OSError):
                    if stop.is_set():
                        return

        def writer():
            burst = b"NOOP\r\n" * 20000
            while not stop.is_set():
                try:
                    hog.sendall(burst)
                except OSError:
                    return
        threads = [threading.Thread(target=reader), threading.Thread(target=writer)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)  # the hog is in full flow
            worst = 0.0
            for _ in range(3):
                t0 = time.monotonic()
                p = plain_login(s)
                assert p.cmd("NOOP")[0] == 200
                p.close()
                worst = max(worst, time.monotonic() - t0)
            print(f"\nbeside a NOOP pipeliner: login + NOOP in {worst * 1000:.0f} ms (worst of 3)")
            assert worst < 2.0
        finally:
            stop.set()
            rst_close(hog)
            for t in threads:
                t.join(10)
        assert s.stop() == 0


# ---- 4. REST both ways ------------------------------------------------------

@pytest.fixture
def blob():
    return os.urandom(1_000_003)


def curl_resume(s, action):
    """curl -C - (resume where the file left off) for an FtpGet or FtpPut."""
    return run_client(s, "curl", FTP, action=action, extra=("-C", "-"), timeout=60)


def test_rest_resumes_downloads_and_uploads(tmp_path, blob):
    """curl -C - both ways, and REST + STOR/RETR on the wire, with checksums."""
    with suite_for(tmp_path) as s:
        d = root(s)
        (d / "whole.bin").write_bytes(blob)
        # Download resumed from 400,000 bytes.
        part = tmp_path / "partial.bin"
        part.write_bytes(blob[:400_000])
        r = curl_resume(s, FtpGet("whole.bin", part))
        assert r.rc == 0, r
        assert sha(part.read_bytes()) == sha(blob)
        # Upload resumed: the server has 400,000 bytes; curl sends the rest.
        (d / "up.bin").write_bytes(blob[:400_000])
        src = tmp_path / "src.bin"
        src.write_bytes(blob)
        r = curl_resume(s, FtpPut(src, "up.bin"))
        assert r.rc == 0, r
        assert sha((d / "up.bin").read_bytes()) == sha(blob)
        # REST 400 + STOR (RFC 3659 5): the first 400 bytes are kept.
        (d / "rest.bin").write_bytes(blob[:1000])
        p = tls_login(s)
        assert p.cmd("REST 400")[0] == 350
        data = p.pasv_data()
        assert p.cmd("STOR rest.bin")[0] == 150
        data.sendall(blob[400:5000])
        data.unwrap().close()
        assert p.reply()[0] == 226
        assert sha((d / "rest.bin").read_bytes()) == sha(blob[:5000])
        # REST 999,000 + RETR: only the tail comes; REST is then spent.
        assert p.cmd("REST 999000")[0] == 350
        data = p.pasv_data()
        assert p.cmd("RETR whole.bin")[0] == 150
        got = lu.read_all(data, 1 << 21)
        assert p.reply()[0] == 226
        assert got == blob[999_000:]
        data = p.pasv_data()
        assert p.cmd("RETR whole.bin")[0] == 150
        assert sha(lu.read_all(data, 1 << 21)) == sha(blob)
        assert p.reply()[0] == 226
        # A marker past the end is refused (RFC 3659 5.5), nothing sent.
        assert p.cmd("REST 2000000")[0] == 350
        p.epsv_port()
        assert p.cmd("RETR whole.bin")[0] == 554
        p.close()
        assert s.stop() == 0


# ---- 5. uploads kept intact ------------------------------------------------

def test_reset_and_oversized_uploads_leave_the_previous_file(tmp_path, blob):
    """A client RST mid-STOR and an upload over --max-upload-mb both leave
    the file that was there before, byte for byte (temporary file + rename)."""
    with suite_for(tmp_path, args=["--max-upload-mb", "1"]) as s:
        d = root(s)
        (d / "keep.bin").write_bytes(blob)
        p = plain_login(s)
        data = socket.create_connection(("127.0.0.1", p.epsv_port()), timeout=10)
        assert p.cmd("STOR keep.bin")[0] == 150
        data.sendall(os.urandom(300_000))
        time.sleep(0.2)  # the bytes are with the server, then the RST
        rst_close(data)
        assert p.reply()[0] == 426
        assert sha((d / "keep.bin").read_bytes()) == sha(blob)
        # Over the size limit: 552 and the old file stays.
        data = socket.create_connection(("127.0.0.1", p.epsv_port()), timeout=10)
        assert p.cmd("STOR keep.bin")[0] == 150
        try:
            data.sendall(os.urandom(3 * 1024 * 1024))
        except OSError:
            pass  # the server cut the data connection at the limit
        data.close()
        assert p.reply()[0] == 552
        assert sha((d / "keep.bin").read_bytes()) == sha(blob)
        assert not [n for n in os.listdir(d) if n.startswith(".tlsfault-upload.")]
        p.close()
        assert s.stop() == 0


def test_concurrent_uploads_to_one_name_never_interleave(tmp_path):
    """Two sessions STOR the same name, their bytes interleaved in time: the
    file ends as one of the two, whole."""
    a, b = os.urandom(500_000), os.urandom(500_000)
    with suite_for(tmp_path) as s:
        d = root(s)
        pa, pb = plain_login(s), plain_login(s)
        da = socket.create_connection(("127.0.0.1", pa.epsv_port()), timeout=10)
        db = socket.create_connection(("127.0.0.1", pb.epsv_port()), timeout=10)
        assert pa.cmd("STOR same.bin")[0] == 150
        assert pb.cmd("STOR same.bin")[0] == 150
        for off in range(0, 500_000, 50_000):
            da.sendall(a[off:off + 50_000])
            db.sendall(b[off:off + 50_000])
            time.sleep(0.01)
        da.close()
        assert pa.reply()[0] == 226
        db.close()
        assert pb.reply()[0] == 226
        assert sha((d / "same.bin").read_bytes()) in (sha(a), sha(b))
        pa.close()
        pb.close()
        assert s.stop() == 0


def tls_upload_cut_by_fin(p, name, payload):
    """PROT P upload whose TLS stream ends with a bare FIN (no close_notify)."""
    data = p.pasv_data()
    assert p.cmd(f"STOR {name}")[0] == 150
    data.sendall(payload)
    raw = socket.socket(fileno=data.detach())  # drop TLS without a close_notify
    raw.shutdown(socket.SHUT_WR)
    return raw


def test_tls_upload_without_close_notify(tmp_path):
    """vsftpd's default (strict_ssl_read_eof=NO): taken, and the data event
    says "truncated": true. ftps-strict-eof (strict_ssl_read_eof=YES): 426
    and the previous file stays."""
    payload = os.urandom(200_000)
    with suite_for(tmp_path, scenarios=[FTP, "ftps-strict-eof"]) as s:
        p = tls_login(s)
        raw = tls_upload_cut_by_fin(p, "cut.bin", payload)
        assert p.reply()[0] == 226
        raw.close()
        assert (root(s) / "cut.bin").read_bytes() == payload
        assert lu.wait_for(lambda: any(e["ftp"].get("truncated") for e in ftp_events(s, "ftp-data")), 5)
        p.close()
        strict = "ftps-strict-eof"
        (root(s, strict) / "cut.bin").write_bytes(b"before")
        p = tls_login(s, strict)
        raw = tls_upload_cut_by_fin(p, "cut.bin", payload)
        assert p.reply() == (426, ["426 Failure reading network stream."])
        raw.close()
        assert (root(s, strict) / "cut.bin").read_bytes() == b"before"
        p.close()
        assert s.stop() == 0
    ev = [e for e in s.events(strict) if e["channel"] == "ftp-data"]
    assert any("without close_notify" in (e["error"] or "") for e in ev), ev


def test_ftplib_tls_upload_gets_the_servers_close_notify(tmp_path):
    """Python's ftplib unwraps the data connection after an upload and waits
    for the server's close_notify (SSLEOFError if it never comes)."""
    payload = os.urandom(100_000)
    with suite_for(tmp_path) as s:
        ctx = ssl.create_default_context(cafile=str(s.certs / "ca.pem"))
        f = ftplib.FTP_TLS(context=ctx, timeout=10)
        f.connect("localhost", s.port(FTP))
        t = Target.of(s, FTP)
        f.login(t.user, t.password)
        f.prot_p()
        src = tmp_path / "p.bin"
        src.write_bytes(payload)
        with open(src, "rb") as fh:
            assert f.storbinary("STOR p.bin", fh).startswith("226")
        f.quit()
        assert (root(s) / "p.bin").read_bytes() == payload
        assert s.stop() == 0
    data = [e for e in s.events(FTP) if e["channel"] == "ftp-data"]
    assert data and (data[-1]["alert_sent"] or {}).get("name") == "close_notify", data


def test_data_quota_refuses_and_keeps_nothing(tmp_path):
    """--max-data-mb 1: a 600 kB upload fits, a second one does not (552,
    not kept), and once full a STOR is refused before any data."""
    with suite_for(tmp_path, args=["--max-data-mb", "1"]) as s:
        p = plain_login(s)
        for name, code in (("one.bin", 226), ("two.bin", 552)):
            data = socket.create_connection(("127.0.0.1", p.epsv_port()), timeout=10)
            assert p.cmd(f"STOR {name}")[0] == 150
            try:
                data.sendall(os.urandom(600_000))
            except OSError:
                pass
            data.close()
            assert p.reply()[0] == code
        assert sorted(os.listdir(root(s))) == ["one.bin"]
        (root(s) / "fill.bin").write_bytes(b"x" * 500_000)
        p.epsv_port()
        assert p.cmd("STOR three.bin")[0] == 552
        p.close()
        assert s.stop() == 0


# ---- 6. long listings -------------------------------------------------------

def test_listing_of_15000_entries_is_complete(tmp_path):
    """15,000 names (over 1 MiB of LIST output): every line arrives before
    the 226, in LIST and NLST."""
    with suite_for(tmp_path) as s:
        d = root(s) / "many"
        d.mkdir()
        names = [f"entry-{i:05d}-{'x' * 40}" for i in range(15000)]
        for n in names:
            (d / n).touch()
        p = plain_login(s)
        for verb, pick in (("LIST", lambda l: l.split()[-1]), ("NLST", lambda l: l)):
            data = socket.create_connection(("127.0.0.1", p.epsv_port()), timeout=10)
            assert p.cmd(f"{verb} many")[0] == 150
            body = lu.read_all(data, 1 << 24)
            data.close()
            assert p.reply()[0] == 226
            got = [pick(line) for line in body.decode().split("\r\n") if line]
            assert got == names, (verb, len(got))
        p.close()
        assert s.stop() == 0


# ---- 7. FTP slowloris ---------------------------------------------------------

def test_trickled_line_and_missing_login_are_cut(tmp_path):
    """With --idle-timeout 3000, one byte every 0.5 s (never a line end)
    is closed by the line deadline, and whole lines that never log in by
    the login deadline; each event says which."""
    args = ["--idle-timeout", "3000", "--line-timeout", "2000", "--login-timeout", "4000"]
    with suite_for(tmp_path, args=args) as s:
        port = s.port(FTP)

        def trickle(unit):
            sk = socket.create_connection(("127.0.0.1", port), timeout=10)
            sk.recv(4096)  # greeting
            t0 = time.monotonic()
            try:
                while time.monotonic() - t0 < 12:
                    sk.sendall(unit)
                    time.sleep(0.5)
                    sk.setblocking(False)
                    try:
                        while True:
                            chunk = sk.recv(4096)
                            if not chunk:
                                return time.monotonic() - t0
                    except BlockingIOError:
                        pass
                    finally:
                        sk.setblocking(True)
            except OSError:
                return time.monotonic() - t0
            finally:
                sk.close()
            return None
        line_cut = trickle(b"N")
        login_cut = trickle(b"NOOP\r\n")
        print(f"\nslowloris: trickled line cut after {line_cut}s, no-login after {login_cut}s")
        assert line_cut is not None and line_cut < 8
        assert login_cut is not None and login_cut < 10
        evs = wait_events(s, FTP, 2, timeout=5)
        errors = [e["error"] or "" for e in evs]
        assert any("command line not completed within 2000 ms" in e for e in errors), errors
        assert any("login not completed within 4000 ms" in e for e in errors), errors
        assert s.stop() == 0


# ---- 8. passive port stealing ---------------------------------------------------

def test_data_port_refuses_other_hosts_and_connections_without_tls(tmp_path):
    """PROT C: a connection to the EPSV port from another address
    (127.0.0.2) is refused and logged; the session's own client still gets
    its file. PROT P: a raw TCP connection that reaches the port first and
    never speaks TLS cannot take it: the real client's TLS connection does."""
    with suite_for(tmp_path) as s:
        (root(s) / "secret.txt").write_bytes(b"the session's file\n")
        p = plain_login(s)
        port = p.epsv_port()
        thief = socket.socket()
        thief.bind(("127.0.0.2", 0))
        thief.settimeout(5)
        thief.connect(("127.0.0.1", port))
        assert lu.read_all(thief) == b""  # closed without a byte
        thief.close()
        data = socket.create_connection(("127.0.0.1", port), timeout=10)
        assert p.cmd("RETR secret.txt")[0] == 150
        assert lu.read_all(data) == b"the session's file\n"
        assert p.reply()[0] == 226
        p.close()
        # The refusal is an event of its own (written as it happens).
        assert lu.wait_for(lambda: [e for e in s.events(FTP)
                                    if "data connection from 127.0.0.2" in (e["error"] or "")],
                           10), s.events(FTP)
        # PROT P: the squatter connects first and stays silent.
        p = tls_login(s)
        port = p.epsv_port()
        squatter = socket.create_connection(("127.0.0.1", port), timeout=10)
        time.sleep(0.2)
        data = socket.create_connection(("127.0.0.1", port), timeout=10)
        data = p.ctx.wrap_socket(data, server_hostname="localhost", session=p.sock.session)
        assert p.cmd("RETR secret.txt")[0] == 150
        assert lu.read_all(data) == b"the session's file\n"
        assert p.reply()[0] == 226
        squatter.settimeout(5)
        assert lu.read_all(squatter) == b""  # dropped once the real one won
        squatter.close()
        p.close()
        assert s.stop() == 0


# ---- 9. --idle-timeout during transfers ---------------------------------------------

def test_idle_timeout_governs_the_control_connection_during_a_transfer(tmp_path, blob):
    """--idle-timeout 34000: a download the client stops reading for 32 s
    must survive (both connections are within their idle period) and
    complete. The defect kept the control connection alive with the
    compiled-in 30 s instead, so it died mid-transfer. (Slow by nature:
    the point is a value above the old constant.)"""
    with suite_for(tmp_path, args=["--idle-timeout", "34000"]) as s:
        big = blob * 24  # more than the socket buffers hold: the server stalls
        (root(s) / "big.bin").write_bytes(big)
        p = plain_login(s)
        data = socket.create_connection(("127.0.0.1", p.epsv_port()), timeout=60)
        assert p.cmd("RETR big.bin")[0] == 150
        time.sleep(32)
        got = lu.read_all(data, 1 << 26)
        p.sock.settimeout(20)
        assert p.reply() == (226, ["226 Transfer complete."])
        assert sha(got) == sha(big)
        p.close()
        data.close()
        assert s.stop() == 0


# ---- 10. errors keep their cause ------------------------------------------------

def test_appe_on_a_symlink_names_the_link(tmp_path):
    with suite_for(tmp_path) as s:
        d = root(s)
        (d / "target").write_bytes(b"x")
        os.symlink("target", d / "link")
        p = plain_login(s)
        p.epsv_port()
        code, lines = p.cmd("APPE link")
        assert code == 553 and "symbolic links are not followed" in lines[0], lines
        p.close()
        assert s.stop() == 0


def test_tls_uploads_succeed_on_the_first_attempt(tmp_path):
    """An uploading client never reads its data connection, so a TLS 1.3
    session ticket sent there stays unread and its close() becomes a RST
    that can overtake its last bytes: lftp then saw 426 and retried, curl
    failed (18). No ticket is sent on data connections: every STOR of
    curl and lftp gets 226 the first time."""
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(300_000))
    with suite_for(tmp_path) as s:
        for i in range(3):
            r = run_client(s, "curl", FTP, action=FtpPut(src, f"c{i}.bin"), timeout=60)
            assert r.rc == 0, r
            r = run_client(s, "lftp", FTP, action=FtpPut(src, f"l{i}.bin"), timeout=60)
            assert r.rc == 0, r
        assert s.stop() == 0
    stors = [e["ftp"] for e in s.events(FTP)
             if e["channel"] == "ftp-data" and (e["ftp"]["command"] or "").startswith("STOR")]
    assert len(stors) == 6 and all(f["result"] == 226 for f in stors), stors
    for i in range(3):
        for name in (f"c{i}.bin", f"l{i}.bin"):
            assert (s.data_dir / FTP / name).read_bytes() == src.read_bytes()


def test_reset_while_input_waits_for_a_transfer_is_noticed(tmp_path):
    """A client fills the command buffer behind a transfer that waits for
    its data connection (the server stops reading it), then resets. The
    hang-up must end the session (found by fuzz_ftp_session: the server
    spun on the reported hang-up instead)."""
    with suite_for(tmp_path) as s:
        (root(s) / "f.bin").write_bytes(b"x" * 1000)
        p = plain_login(s)
        p.epsv_port()
        # RETR waits for a data connection that never comes; the NOOPs
        # queue behind it until the command buffer is full.
        p.send_raw(b"RETR f.bin\r\n" + b"NOOP\r\n" * 2000)
        time.sleep(0.5)  # the server has read what fits (a pause, not a bound)
        m = s.mark(FTP)
        rst_close(p.sock)
        ev = s.event_after(FTP, m, timeout=10)
        assert ev["channel"] == "ftp-control"
        assert ev["closed_by"] == "client" and "reset by the peer" in (ev["error"] or ""), ev
        still_serves(s)
        assert s.stop() == 0

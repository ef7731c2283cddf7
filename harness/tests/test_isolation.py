"""Isolation (issue 10): each scenario is served by its own worker process
under a supervisor. A worker killed with SIGSEGV (by the pid the manifest
gives, a child of the server we started) must leave every other scenario's
connections running to completion, be written as "fixture_error" events and
one stderr line, and serve again after its restart. Also: events when the
events file is a pipe whose reader went away (defect 12).

Loopback only; every wait is bounded by what the server guarantees (an
event, a manifest rewrite), not by a sleep."""
import ftplib
import hashlib
import json
import os
import signal
import ssl

from tlsfault_harness import load_util as lu
from tlsfault_harness.clients import Target
from test_limits import make_suite

VICTIM = "https-self-signed"
OTHERS = ["https-valid", "ftps-valid"]
BIG = 24 * 1024 * 1024  # more than loopback socket buffers hold: the RETR is in flight


def ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def kill_worker(s, scenario, sig=signal.SIGSEGV):
    """Signal the worker of `scenario`, after checking it is our server's child."""
    pid = s.worker_pid(scenario)
    assert ppid(pid) == s.pid, f"{pid} is not a worker of our server {s.pid}"
    os.kill(pid, sig)
    return pid


def wait_restart(s, scenario, old_pid, timeout=10):
    assert lu.wait_for(lambda: s.worker_pid(scenario) != old_pid, timeout), \
        f"{scenario}: no new worker after {timeout}s: {s.server_log()}"
    return s.worker_pid(scenario)


def unverified():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def get(sk):
    sk.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    return lu.read_all(sk)


def no_asan_segv_handler(monkeypatch):
    """Under SANITIZE=1 ASan would catch our SIGSEGV and exit(1) instead:
    let the signal kill the worker, as a real crash without ASan does."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    monkeypatch.setenv("ASAN_OPTIONS", f"{opts}:handle_segv=0" if opts else "handle_segv=0")


def test_sigsegv_in_one_worker_leaves_the_others_serving(tmp_path, monkeypatch):
    no_asan_segv_handler(monkeypatch)
    names = [VICTIM, *OTHERS]
    data = os.urandom(BIG)
    root = tmp_path / "data" / "ftps-valid"
    root.mkdir(parents=True)
    (root / "big.bin").write_bytes(data)
    with make_suite(tmp_path, names) as s:
        pids = {n: s.worker_pid(n) for n in names}
        assert len(set(pids.values())) == len(names) and s.pid not in pids.values()
        # In flight on the other scenarios: an FTPS download, half read, and
        # a TLS connection whose request is still to come.
        ftp = ftplib.FTP_TLS(context=lu.tls_context(), timeout=20)
        ftp.connect("localhost", s.port("ftps-valid"))
        ftp.auth()
        t = Target.of(s, "ftps-valid")
        ftp.login(t.user, t.password)
        ftp.prot_p()
        ftp.voidcmd("TYPE I")
        dconn = ftp.transfercmd("RETR big.bin")
        got = bytearray()
        while len(got) < 1024 * 1024:
            got += dconn.recv(65536)
        https = lu.tls_connect(s.port("https-valid"))
        # In flight on the victim: two connections, one mid-handshake.
        victims = [lu.raw_connect(s.port(VICTIM)),
                   lu.raw_connect(s.port(VICTIM), lu.client_hello()[:40])]
        peers = {f"127.0.0.1:{sk.getsockname()[1]}" for sk in victims}
        # The victim's worker has announced both (its OPEN messages come
        # before any later event of its own): wait on a third, finished one.
        mark = s.mark(VICTIM)
        lu.raw_connect(s.port(VICTIM)).close()
        s.event_after(VICTIM, mark)
        assert not [e for e in s.events("ftps-valid") if e["channel"] == "ftp-data"], \
            "the download finished before the kill: nothing was in flight"

        killed = kill_worker(s, VICTIM)
        new = wait_restart(s, VICTIM, killed)

        # The others complete, byte for byte.
        while True:
            chunk = dconn.recv(1 << 20)
            if not chunk:
                break
            got += chunk
        dconn.close()
        assert ftp.voidresp().startswith("226")
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
        ftp.quit()
        assert get(https).startswith(b"HTTP/1.1 200 ")
        https.close()
        assert {n: s.worker_pid(n) for n in OTHERS} == {n: pids[n] for n in OTHERS}

        # The victim's connections ended with the worker: EOF or reset, no hang.
        for sk in victims:
            sk.settimeout(5)
            assert lu.read_all(sk) == b""
            sk.close()
        # Written as events: one per connection in flight, one for the worker.
        fx = s.fixture_errors(VICTIM)
        conns = [e for e in fx if e["fixture_error"]["kind"] == "connection"]
        workers = [e for e in fx if e["fixture_error"]["kind"] == "worker"]
        assert {e["peer"] for e in conns} == peers, conns
        assert len(workers) == 1, fx
        w = workers[0]["fixture_error"]
        assert (w["worker_pid"], w["signal"], w["exit_status"], w["connections"]) == \
            (killed, "SIGSEGV", None, 2)
        assert w["restart"] == f"restarted as pid {new}"
        assert all(e["fixture_error"]["signal"] == "SIGSEGV" for e in conns)
        assert not s.fixture_errors("https-valid") and not s.fixture_errors("ftps-valid")
        # ... and one stderr line.
        lines = [x for x in s.server_log().splitlines() if "fixture error" in x]
        assert lines == [f"tlsfault: fixture error: {VICTIM}: worker pid {killed} killed by "
                         f"signal 11 (SIGSEGV) with 2 connection(s) in flight; "
                         f"restarted as pid {new}"], s.server_log()

        # The victim serves again, on the same port, from the new worker.
        assert ppid(new) == s.pid
        mark = s.mark(VICTIM)
        sk = lu.tls_connect(s.port(VICTIM), unverified())
        assert get(sk).startswith(b"HTTP/1.1 200 ")
        sk.close()
        assert s.event_after(VICTIM, mark)["handshake"] == "ok"
        ids = [e["id"] for e in s.events()]
        assert len(ids) == len(set(ids)), "event ids repeat across workers"
        # A worker failure during the run is not a clean exit.
        assert s.stop() == 1
    assert s.server_log().splitlines()[-1] == ("tlsfault: 1 worker failure(s) during this run; "
                                               "see the \"fixture_error\" events")


def test_restarts_are_rate_bounded_and_sigterm_still_stops_cleanly(tmp_path):
    """Five starts per 10 s at most: the first start and four restarts go
    at once, the fifth death waits; SIGTERM then stops without starting it."""
    names = ["https-valid"]
    with make_suite(tmp_path, names) as s:
        for _ in range(4):
            pid = kill_worker(s, "https-valid", signal.SIGKILL)
            wait_restart(s, "https-valid", pid)
            assert lu.https_get(s.port("https-valid"))[0] == 200
        pid = kill_worker(s, "https-valid", signal.SIGABRT)

        def deaths():
            return [e["fixture_error"] for e in s.fixture_errors("https-valid")
                    if e["fixture_error"]["kind"] == "worker"]
        assert lu.wait_for(lambda: len(deaths()) == 5, 10)
        assert [d["restart"].startswith("restarted as pid ") for d in deaths()] == \
            [True] * 4 + [False]
        last = deaths()[-1]
        assert last["signal"] == "SIGABRT"
        assert last["restart"].startswith("in ") and "at most 5 starts per 10 s" in last["restart"]
        assert s.worker_pid("https-valid") == pid  # not restarted yet
        assert s.stop() == 1
    assert "worker restarted" not in s.server_log()  # stopping cancels the pending restart


def test_events_pipe_whose_reader_left_is_said_once_and_serving_goes_on(tmp_path):
    """Defect 12: --events is a FIFO; its reader goes away. stderr says so
    once, every connection is still served, and when a reader is back the
    events flow again and stderr says how many were lost."""
    names = ["https-valid"]
    s = make_suite(tmp_path, names)
    os.mkfifo(s.events_path)
    reader = os.open(s.events_path, os.O_RDONLY | os.O_NONBLOCK)  # before the server's open
    s.start()
    try:
        port = s.port("https-valid")

        def read_events(fd, until, timeout=5):
            """Event lines from the pipe up to the one whose request is `until`."""
            buf = [b""]

            def there():
                buf[0] += _read(fd)
                return f"GET {until} HTTP/1.1".encode() in buf[0]
            assert lu.wait_for(there, timeout), f"no event for {until} on the pipe"
            return [json.loads(x) for x in buf[0].split(b"\n") if x.strip()]

        assert lu.https_get(port, "/first")[0] == 200
        assert [e["app"]["request_line"] for e in read_events(reader, "/first")] == \
            ["GET /first HTTP/1.1"]
        os.close(reader)  # the reader goes away
        reader = None
        for i in range(3):
            assert lu.https_get(port, f"/lost/{i}")[0] == 200  # still served
        said = "events are lost until it can be written again (serving goes on)"
        assert lu.wait_for(lambda: said in s.server_log(), 5), s.server_log()
        assert s.alive()
        log = s.server_log().splitlines()
        assert log == [f"tlsfault: events file {s.events_path}: Broken pipe; {said}"], log
        # A reader again: events flow, and how many were lost is said. (An
        # event of /lost/N the server wrote after the reader came back is
        # not lost: a connection's event follows the client's EOF.)
        reader = os.open(s.events_path, os.O_RDONLY | os.O_NONBLOCK)
        assert lu.https_get(port, "/back")[0] == 200
        got = [e["app"]["request_line"] for e in read_events(reader, "/back")]
        assert got[-1] == "GET /back HTTP/1.1"
        late = got[:-1]
        assert all(x.startswith("GET /lost/") for x in late), got
        lost = 3 - len(late)
        assert lost >= 1
        back = f"tlsfault: events file {s.events_path}: writable again; {lost} event(s) lost"
        assert s.server_log().splitlines()[1:] == [back], s.server_log()
        os.close(reader)
        reader = None
        assert s.stop() == 0
    finally:
        try:
            if reader is not None:
                os.close(reader)
        finally:
            s.close()


def _read(fd):
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return b""

"""Helpers for the limit, load, robustness and isolation tests (test_limits.py,
test_adversarial.py, test_isolation.py): raw and TLS connections to
127.0.0.1, the server's memory, and a server started with extra `serve`
options.

Suite builds the `serve` command line itself; `server_with_args` writes a
small wrapper that execs build/tlsfault with the extra options appended
(getopt permutes, so options after the scenario names are read), and is
passed as Suite(server=...). The wrapper execs, so the PID is the server's."""
import os
import resource
import socket
import ssl
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import paths

FIXTURES = paths.ROOT / "tests" / "unit" / "fixtures"


def raise_nofile(want):
    """Raise this process's soft RLIMIT_NOFILE towards the hard limit (the
    server, our child, inherits it). Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard == resource.RLIM_INFINITY else min(max(soft, want), hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def server_with_args(workdir, args, server=paths.SERVER, wrapper_prefix=()):
    """A script that runs `server` with `args` appended; optionally under a
    wrapper command (valgrind)."""
    script = Path(workdir) / "tlsfault-wrapped"
    words = [*map(str, wrapper_prefix), str(server)]
    quoted = " ".join(f"'{w}'" for w in words)
    extra = " ".join(f"'{a}'" for a in args)
    script.write_text(f'#!/bin/sh\nexec {quoted} "$@" {extra}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def vm_rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def client_hello(name="curl-hello.bin"):
    """A real ClientHello captured from a client (tests/unit/fixtures)."""
    return (FIXTURES / name).read_bytes()


def raw_connect(port, send=b"", timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if send:
        s.sendall(send)
    return s


def tls_context():
    ctx = ssl.create_default_context(cafile=str(paths.CERTS / "ca.pem"))
    ctx.check_hostname = True
    return ctx


def tls_connect(port, ctx=None, timeout=10.0):
    """A completed TLS handshake with the suite's CA (no request sent)."""
    ctx = ctx or tls_context()
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname="localhost")
    except BaseException:
        raw.close()
        raise


def tls_connect_many(port, n, workers=32):
    """n concurrent completed TLS handshakes; returns the sockets."""
    ctx = tls_context()
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda _: tls_connect(port, ctx), range(n)))


def https_get(port, path="/", ctx=None):
    """One GET over a fresh TLS connection; returns (status, elapsed s)."""
    t0 = time.monotonic()
    s = tls_connect(port, ctx)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        data = read_all(s)
    finally:
        s.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else None
    return status, time.monotonic() - t0


def read_all(s, limit=1 << 20):
    """Read until EOF (or limit); a reset ends the read too."""
    out = b""
    while len(out) < limit:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        out += chunk
    return out


def wait_for(pred, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass

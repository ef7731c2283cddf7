"""Wire faults (servers/faults.c rows that act after the handshake), checked
from both sides: what the client reports AND what the server's event says
went on the wire for that connection. curl's truncation test runs it with
argv of its own: it needs curl's raw bytes (-i --raw -o), not the status
code the curl module asks for."""
import re

from tlsfault_harness.clients import run, run_client

CUT = 128  # faults.c TRUNCATE_AFTER: response bytes the server lets through
CUT_ERROR = re.compile(r"fault: response cut after 128 of (\d+) bytes, without close_notify")
SCENARIO = "https-truncated-response"


def curl(suite, scenario, *extra):
    return run(["curl", "-sS", "--max-time", "10", "--cacert", suite.certs / "ca.pem", *extra,
                f"https://localhost:{suite.port(scenario)}/"], timeout=20)


def cut_event(suite, mark):
    """The event of the truncated connection; (event, the response's full size)."""
    ev = suite.event_after(SCENARIO, mark)
    assert ev["handshake"] == "ok" and ev["app"]["request_line"].startswith("GET / HTTP/1."), ev
    m = CUT_ERROR.fullmatch(ev["error"] or "")
    assert m, ev
    # No answer left whole, and the stream ended with a bare FIN: no
    # close_notify from the server (https-valid sends one, below).
    assert ev["app"]["http_status"] is None and ev["alert_sent"] is None, ev
    assert ev["closed_by"] == "server", ev
    return ev, int(m.group(1))


def test_truncated_response_curl(suite, tmp_path):
    """curl gets exactly the first 128 bytes (the head and part of the body)
    and says how many of the Content-Length it is missing."""
    m = suite.mark(SCENARIO)
    got = tmp_path / "response"
    r = curl(suite, SCENARIO, "-i", "--raw", "-o", got)
    _, total = cut_event(suite, m)
    assert r.rc == 18, r
    assert f"curl: (18) transfer closed with {total - CUT} bytes remaining to read" in r.err, r
    wire = got.read_bytes()
    assert len(wire) == CUT and wire.startswith(b"HTTP/1.1 200 OK\r\n"), wire
    head, _, body = wire.partition(b"\r\n\r\n")
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    assert len(head) + 4 + length == total and len(body) < length, (head, body)


def test_truncated_response_s_client(suite):
    """s_client sees the cut as TLS truncation: EOF without close_notify."""
    m = suite.mark(SCENARIO)
    r = run_client(suite, "openssl", SCENARIO)  # a GET of /, then reading to EOF
    cut_event(suite, m)
    assert "HTTP/1.1 200 OK" in r.out, r.text
    assert "unexpected eof while reading" in r.err, r.text


def test_valid_server_ends_with_close_notify(suite):
    """The control: the same answer uncut ends with the server's close_notify,
    so the None above is the fault's doing, not the event's blind spot."""
    m = suite.mark("https-valid")
    r = run_client(suite, "curl", "https-valid")
    assert (r.rc, r.out) == (0, "200"), r
    ev = suite.event_after("https-valid", m)
    assert ev["app"]["http_status"] == 200 and ev["error"] is None, ev
    assert ev["alert_sent"]["name"] == "close_notify", ev

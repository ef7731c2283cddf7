"""Command lines for the HTTPS clients the checker runs, and parsers for
what each prints. Every client is given the suite's CA file explicitly."""
import re

from .clients import run

HTTP_REQUEST = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"


def curl(suite, scenario, *extra, host="localhost", path="/"):
    """curl with the suite CA; stdout = HTTP status code."""
    return run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                "--cacert", suite.certs / "ca.pem", *extra,
                suite.url(scenario, path, host=host)], timeout=20)


def s_client(suite, scenario, *extra, request=None):
    """openssl s_client verifying chain and host name. Without `request`
    stdin is empty, so it stops after the handshake."""
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{suite.port(scenario)}",
            "-servername", "localhost", "-verify_hostname", "localhost",
            "-CAfile", suite.certs / "ca.pem", "-verify_return_error", *extra]
    if request is not None:
        argv += ["-ign_eof"]
    return run(argv, input=request or "", timeout=20)


_VERIFY = re.compile(r"verify error:num=(\d+):([^\n]+)")
_RETURN = re.compile(r"Verify return code: (\d+) \(([^)]*)\)")


def s_client_verify(result):
    """(number, text) of the first verify error, else of the return code."""
    m = _VERIFY.search(result.text) or _RETURN.search(result.text)
    return (int(m.group(1)), m.group(2).strip()) if m else (None, None)


def s_client_protocol(result):
    m = re.search(r"Protocol\s*: (\S+)", result.text)
    return m.group(1) if m else None

"""Mutual-TLS clients for seed 002 (API gateway -> mTLS backend): Java 17
(JSSE, the seed's own kind of client), curl, `openssl s_client`, Python's
ssl module and Node's tls module, each given the suite's CA and, when the
scenario calls for one, a client certificate, all explicitly.

Every adapter returns a Report: the raw Result, whether an HTTP 200 came
back, the client's precise one-line report, and the name of the server
alert the client says it received (parsed from that client's own words,
never from the server's event: the test compares the two)."""
import hashlib
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .clients import Result, run
from .paths import ROOT

JAVA_SRC = ROOT / "harness" / "java"
JAVA_MAIN = "MtlsClient"
P12_PASSWORD = "changeit"  # certs/certgen.c's PKCS#12 password
HTTP_REQUEST = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
TIMEOUT = 20  # per client process; each client's own I/O timeout is 10 s

# The alerts these scenarios send (RFC 8446 6 / RFC 5246 7.2).
ALERTS = {
    "handshake_failure": 40,
    "bad_certificate": 42,
    "unsupported_certificate": 43,
    "certificate_expired": 45,
    "unknown_ca": 48,
    "certificate_required": 116,
}

# OpenSSL's reason text for a received alert: "sslv3 alert bad certificate",
# "tlsv1 alert unknown ca", "tlsv13 alert certificate required"; Python's
# ssl shows the reason code too: "[SSL: SSLV3_ALERT_BAD_CERTIFICATE]".
_OPENSSL_ALERT = re.compile(r"(?:sslv3|tlsv1|tlsv13) alert ([a-z]+(?: [a-z]+)*)", re.I)
_JAVA_ALERT = re.compile(r"Received fatal alert: (\w+)")


def _no_thread_id(text):
    """OpenSSL 3 prefixes its error lines with a thread id; drop it."""
    return re.sub(r"(?m)^[0-9A-F]{8,}:error:", "error:", text)


def openssl_alert_name(text):
    m = _OPENSSL_ALERT.search(text)
    return m.group(1).lower().replace(" ", "_") if m else None


@dataclass
class Report:
    client: str
    family: str          # "jsse" or "openssl": what picks the client certificate
    result: Result
    ok: bool             # an HTTP 200 came back
    body: str            # the HTTP body (the mTLS page names the verified subject)
    alert: str           # server alert the client reports receiving, or None
    message: str         # the client's precise report, one line
    details: dict        # client-specific extras (Java: issuers, chosen alias)

    def __str__(self):
        r = self.result
        return (f"{self.client}: ok={self.ok} alert={self.alert} message={self.message!r}\n"
                f"  argv={' '.join(r.argv)}\n  rc={r.rc} timed_out={r.timed_out}\n"
                f"  stdout={r.out[-1500:]!r}\n  stderr={r.err[-1500:]!r}")


def _http_body(response):
    """(HTTP 200?, body). run() reads text with universal newlines, so
    s_client's CRLFs arrive as LFs; the JSON-reporting clients keep CRLF."""
    parts = re.split(r"\r?\n\r?\n", response, maxsplit=1)
    return parts[0].startswith("HTTP/1.1 200 "), parts[1] if len(parts) > 1 else ""


def _cert_paths(certs, name):
    return (certs / f"{name}.pem", certs / f"{name}.key") if name else (None, None)


# ---- Java (JSSE) -----------------------------------------------------------
@dataclass
class JavaClient:
    classes: Path
    truststore: Path


def build_java(build_dir):
    """javac harness/java/*.java into build/java/ and make the truststore
    (PKCS#12, the suite root only) with keytool. The output directory is
    named by a hash of the sources and of ca.pem, built under a temporary
    name and renamed into place: sessions running side by side never see a
    half-built client, and an unchanged client is not rebuilt."""
    sources = sorted(JAVA_SRC.glob("*.java"))
    ca = Path(build_dir) / "certs" / "ca.pem"
    h = hashlib.sha256()
    for f in [*sources, ca]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    root = Path(build_dir) / "java"
    out = root / f"client-{h.hexdigest()[:16]}"
    jc = JavaClient(out, out / "truststore.p12")
    if (out / f"{JAVA_MAIN}.class").exists() and jc.truststore.exists():
        return jc
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    try:
        r = run(["javac", "--release", "17", "-encoding", "UTF-8", "-Xlint:all", "-Werror",
                 "-d", tmp, *sources], timeout=120)
        if r.rc != 0:
            raise RuntimeError(f"javac failed:\n{r.text}")
        r = run(["keytool", "-importcert", "-noprompt", "-storetype", "PKCS12",
                 "-keystore", tmp / "truststore.p12", "-storepass", P12_PASSWORD,
                 "-alias", "tlsfault-root", "-file", ca], timeout=60)
        if r.rc != 0:
            raise RuntimeError(f"keytool failed:\n{r.text}")
        try:
            tmp.rename(out)
        except OSError:
            if not (out / f"{JAVA_MAIN}.class").exists():  # not a concurrent twin
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return jc


def java(jc, suite, scenario, cert=None):
    """HttpsURLConnection GET with keystore build/certs/CERT.p12 (alias =
    CERT) and the truststore; the KeyManager is the JDK default (SunX509)."""
    argv = ["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", jc.classes, JAVA_MAIN,
            "--url", f"https://{suite.host}:{suite.port(scenario)}/",
            "--truststore", jc.truststore, "--truststore-password", P12_PASSWORD]
    if cert:
        argv += ["--keystore", suite.certs / f"{cert}.p12", "--keystore-password", P12_PASSWORD]
    r = run(argv, timeout=TIMEOUT)
    lines = [ln for ln in r.out.splitlines() if ln.startswith("{")]
    try:
        d = json.loads(lines[-1])
    except (IndexError, ValueError):
        return Report("java", "jsse", r, False, "", None, f"no result line (rc {r.rc})", {})
    details = {"issuers": d.get("issuers"), "alias": d.get("alias")}
    if d["result"] == "ok":
        ok = d["status"] == 200
        return Report("java", "jsse", r, ok, d.get("body", ""), None, f"HTTP {d['status']}",
                      details)
    message = f"{d['exception']}: {d['message']}"
    m = _JAVA_ALERT.search(d["message"] or "")
    return Report("java", "jsse", r, False, "", m.group(1) if m else None, message, details)


# ---- curl ------------------------------------------------------------------
def curl(suite, scenario, cert=None):
    pem, key = _cert_paths(suite.certs, cert)
    argv = ["curl", "-sS", "--max-time", "10", "--cacert", suite.certs / "ca.pem"]
    if cert:
        argv += ["--cert", pem, "--key", key]
    argv.append(f"https://{suite.host}:{suite.port(scenario)}/")
    r = run(argv, timeout=TIMEOUT)
    if r.rc == 0:
        return Report("curl", "openssl", r, True, r.out, None, "HTTP body received", {})
    m = re.search(r"^curl: \(\d+\) .*$", r.err, re.M)
    message = m.group(0) if m else f"exit {r.rc}"
    return Report("curl", "openssl", r, False, "", openssl_alert_name(message), message,
                  {"rc": r.rc})


# ---- openssl s_client ------------------------------------------------------
_ALERT_NUMBER = re.compile(r"SSL alert number (\d+)")
_S_CLIENT_ERROR = re.compile(r"^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^\n]*", re.M)


def s_client(suite, scenario, cert=None):
    """Verifies the server (-verify_return_error), sends one request and
    waits for the answer (-ign_eof)."""
    pem, key = _cert_paths(suite.certs, cert)
    argv = ["openssl", "s_client", "-connect", f"{suite.host}:{suite.port(scenario)}",
            "-CAfile", suite.certs / "ca.pem", "-verify_return_error",
            "-verify_ip", suite.host, "-ign_eof"]
    if cert:
        argv += ["-cert", pem, "-key", key]
    r = run(argv, input=HTTP_REQUEST, timeout=TIMEOUT)
    ok, body = _http_body(r.out[r.out.find("HTTP/1.1 "):]) if "HTTP/1.1 " in r.out else (False, "")
    m = _S_CLIENT_ERROR.search(r.err)
    message = _no_thread_id(m.group(0)) if m else f"exit {r.rc}"
    alert = openssl_alert_name(message) if m else None
    n = _ALERT_NUMBER.search(message)
    details = {"alert_number": int(n.group(1)) if n else None,
               "ca_names": s_client_ca_names(r.out)}
    return Report("openssl", "openssl", r, ok, body, alert, message, details)


def s_client_ca_names(text):
    """The 'Acceptable client certificate CA names' s_client printed."""
    m = re.search(r"^Acceptable client certificate CA names\n((?:[^\n]+\n)*?)"
                  r"(?=Client Certificate Types|Requested Signature)", text, re.M)
    return [ln.strip() for ln in m.group(1).splitlines()] if m else None


# ---- Python ssl ------------------------------------------------------------
PYTHON_CLIENT = r"""
import json, socket, ssl, sys
host, port, ca, cert, key, request = sys.argv[1:7]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cafile=ca)
if cert:
    ctx.load_cert_chain(cert, key)
try:
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(request.encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    print(json.dumps({"result": "ok", "response": data.decode("utf-8", "replace")}))
except Exception as e:
    t = type(e)
    print(json.dumps({"result": "error", "exception": t.__module__ + "." + t.__qualname__,
                      "message": str(e), "reason": getattr(e, "reason", None)}))
    sys.exit(1)
"""


def python(suite, scenario, cert=None):
    """/usr/bin/python3's ssl module (the system OpenSSL)."""
    pem, key = _cert_paths(suite.certs, cert)
    r = run(["/usr/bin/python3", "-I", "-c", PYTHON_CLIENT, suite.host, suite.port(scenario),
             suite.certs / "ca.pem", pem or "", key or "", HTTP_REQUEST], timeout=TIMEOUT)
    return _json_report("python", r, lambda d: f"{d['exception']}: {d['message']}")


# ---- Node tls --------------------------------------------------------------
NODE_CLIENT = r"""
const tls = require('tls'), fs = require('fs');
const [host, port, ca, cert, key, request] = process.argv.slice(-6);
const opts = {host, port: Number(port), ca: fs.readFileSync(ca)};
if (cert) { opts.cert = fs.readFileSync(cert); opts.key = fs.readFileSync(key); }
let data = '', done = false;
const finish = (o, code) => { if (!done) { done = true; console.log(JSON.stringify(o)); process.exitCode = code; } };
const s = tls.connect(opts, () => s.write(request));
s.setEncoding('utf8');
s.setTimeout(10000, () => { finish({result: 'error', code: 'TIMEOUT', message: 'no answer in 10 s'}, 1); s.destroy(); });
s.on('data', d => { data += d; });
s.on('end', () => finish({result: 'ok', response: data}, 0));
s.on('error', e => finish({result: 'error', code: e.code || null, message: e.message}, 1));
"""


def node(suite, scenario, cert=None):
    pem, key = _cert_paths(suite.certs, cert)
    r = run(["node", "-e", NODE_CLIENT, "--", suite.host, suite.port(scenario),
             suite.certs / "ca.pem", pem or "", key or "", HTTP_REQUEST], timeout=TIMEOUT)
    return _json_report("node", r,
                        lambda d: f"{d['code']}: {_no_thread_id(d['message'].strip())}")


def _json_report(client, r, fmt):
    lines = [ln for ln in r.out.splitlines() if ln.startswith("{")]
    try:
        d = json.loads(lines[-1])
    except (IndexError, ValueError):
        return Report(client, "openssl", r, False, "", None, f"no result line (rc {r.rc})", {})
    if d["result"] == "ok":
        ok, body = _http_body(d["response"])
        return Report(client, "openssl", r, ok, body, None, d["response"].split("\r\n")[0], {})
    message = fmt(d)
    return Report(client, "openssl", r, False, "", openssl_alert_name(message), message, d)


CLIENTS = {"java": java, "curl": curl, "openssl": s_client, "python": python, "node": node}

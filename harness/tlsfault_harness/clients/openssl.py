"""openssl s_client: HTTPS with a request (Fetch, -ign_eof) or the handshake
alone (Handshake: stdin empty, it stops after it); FTPS with `-starttls ftp`
(explicit) or TLS from the first byte (implicit), then a login with the
scenario's credentials. s_client always starts TLS: it cannot be a plaintext
FTP client. Also the OpenSSL stack's words, shared by its other clients."""
import re

from . import profiles as P
from .base import HTTP_REQUEST, Client, Command, Fetch, Handshake, NotApplicable, Outcome

HTTPS_FLAGS = {"default": [], "verify-none": [], "legacy": ["-cipher", "DEFAULT@SECLEVEL=0"],
               "no-split": ["-bugs"]}

# OpenSSL's reason text for a received alert: "sslv3 alert bad certificate",
# "tlsv1 alert unknown ca", "tlsv13 alert certificate required"; Python's
# ssl shows the reason code too: "[SSL: SSLV3_ALERT_BAD_CERTIFICATE]".
_ALERT = re.compile(r"(?:sslv3|tlsv1|tlsv13) alert ([a-z]+(?: [a-z]+)*)", re.I)
_ALERT_NUMBER = re.compile(r"SSL alert number (\d+)")
_S_CLIENT_ERROR = re.compile(r"^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^\n]*", re.M)
_VERIFY = re.compile(r"verify error:num=(\d+):([^\n]+)")
_RETURN = re.compile(r"Verify return code: (\d+) \(([^)]*)\)")


def no_thread_id(text):
    """OpenSSL 3 prefixes its error lines with a thread id; drop it."""
    return re.sub(r"(?m)(^|\s)[0-9A-F]{8,}:error:", r"\1error:", text)


def openssl_alert_name(text):
    m = _ALERT.search(text)
    return m.group(1).lower().replace(" ", "_") if m else None


def verify_error(result):
    """(number, text) of s_client's first verify error, else of its return code."""
    m = _VERIFY.search(result.text) or _RETURN.search(result.text)
    return (int(m.group(1)), m.group(2).strip()) if m else (None, None)


def protocol(result):
    """The protocol version s_client negotiated."""
    m = re.search(r"Protocol\s*: (\S+)", result.text)
    return m.group(1) if m else None


def ca_names(text):
    """The 'Acceptable client certificate CA names' s_client printed."""
    m = re.search(r"^Acceptable client certificate CA names\n((?:[^\n]+\n)*?)"
                  r"(?=Client Certificate Types|Requested Signature)", text, re.M)
    return [ln.strip() for ln in m.group(1).splitlines()] if m else None


def http_body(response):
    """(HTTP 200?, body). run() reads text with universal newlines, so
    s_client's CRLFs arrive as LFs; the JSON-reporting clients keep CRLF."""
    parts = re.split(r"\r?\n\r?\n", response, maxsplit=1)
    return parts[0].startswith("HTTP/1.1 200 "), parts[1] if len(parts) > 1 else ""


class OpenSSL(Client):
    name, family, binary = "openssl", "openssl", "openssl"
    column = 1
    PROFILES = {"https": tuple(HTTPS_FLAGS), "ftps": P.FTP_PROFILES + P.POLICY_PROFILES}

    plain_ftp = False

    def command(self, t, profile="default", action=None, extra=(), tls=None, workdir=None):
        action = action or Fetch()
        argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{t.port}",
                "-servername", "localhost", "-verify_hostname", "localhost", "-CAfile", t.ca]
        if not isinstance(action, Handshake):
            argv.append("-ign_eof")
        if profile != "verify-none":
            argv.append("-verify_return_error")
        env, request = None, HTTP_REQUEST
        if t.ftps:
            policy = P.ftp_policy(profile)
            _, ciphers = P.OPENSSL_PROFILE[policy]
            argv += (["-starttls", "ftp"] if not t.implicit else [])
            argv += ["-crlf"] + (["-cipher", ciphers] if ciphers else [])
            env = P.openssl_env(policy)
            request = f"USER {t.user}\nPASS {t.password}\nQUIT\n"
        elif isinstance(action, (Fetch, Handshake)):
            argv += HTTPS_FLAGS[profile]
            if isinstance(action, Handshake):
                request = ""
        else:
            raise NotApplicable(f"openssl: no HTTPS action {action}")
        cert, key = t.client_cert_files
        if cert:
            argv += ["-cert", cert, "-key", key]
        return Command(argv + list(extra), input=request, env=env, timeout=self.TIMEOUT)

    def outcome(self, r):
        ok, body = http_body(r.out[r.out.find("HTTP/1.1 "):]) if "HTTP/1.1 " in r.out \
            else (False, "")
        m = _S_CLIENT_ERROR.search(r.err)
        message = no_thread_id(m.group(0)) if m else f"exit {r.rc}"
        alert = openssl_alert_name(message) if m else None
        n = _ALERT_NUMBER.search(message)
        details = {"alert_number": int(n.group(1)) if n else None, "ca_names": ca_names(r.out)}
        return Outcome(ok, body, message, alert, details, r)


CLIENT = OpenSSL()

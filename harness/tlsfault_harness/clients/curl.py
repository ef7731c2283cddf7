"""curl (OpenSSL on Debian): HTTPS (stdout: the HTTP status code, or the
body and then the code with Fetch(body=True)) and FTPS: ftp:// with
--ssl-reqd (explicit), ftps:// (implicit), plain ftp:// for a plaintext
client. An FTPS listing prints the last FTP reply code (-w), so a listing of
an empty root still says what happened."""
import re

from . import profiles as P
from .base import Client, Command, FtpList, Outcome, ftp_step
from .openssl import openssl_alert_name

HTTPS_FLAGS = {"default": [], "verify-none": ["-k"],
               "legacy": ["--tlsv1.0", "--ciphers", "DEFAULT@SECLEVEL=0"],
               "no-split": ["--ssl-allow-beast"]}


class Curl(Client):
    name, family, binary = "curl", "openssl", "curl"
    column = 0
    PROFILES = {"https": tuple(HTTPS_FLAGS), "ftps": P.FTP_PROFILES + P.POLICY_PROFILES}

    def command(self, t, profile="default", action=None, extra=(), max_time=15, timeout=None,
                tls=None, workdir=None):
        if t.ftps:
            return self._ftp(t, profile, action or FtpList(), self.uses_tls(t, profile, tls),
                             timeout or self.TIMEOUT, extra)
        action = self.fetch(action)
        argv = ["curl", "-sS", "-o", "-" if action.body else "/dev/null", "-w", "%{http_code}",
                "--max-time", str(max_time), "--cacert", t.ca, *HTTPS_FLAGS[profile]]
        cert, key = t.client_cert_files
        if cert:
            argv += ["--cert", cert, "--key", key]
        argv += [*extra, action.url(t.port)]
        return Command(argv, timeout=timeout or self.TIMEOUT)

    def _ftp(self, t, profile, action, tls, timeout, extra=()):
        policy = P.ftp_policy(profile)
        argv = ["curl", "-sS", "--max-time", str(timeout - 5), "--user", f"{t.user}:{t.password}"]
        if tls:
            argv += ["--cacert", t.ca]
            if not t.implicit:
                argv += ["--ssl-reqd"]
        _, ciphers = P.OPENSSL_PROFILE[policy]
        if ciphers:
            argv += ["--ciphers", ciphers]
        if policy == "verify-none":
            argv += ["-k"]
        argv += list(extra)
        base = f"{'ftps' if t.implicit and tls else 'ftp'}://localhost:{t.port}"
        argv += ftp_step(action, "curl", ls=lambda path: ["-w", "FTP %{response_code}\n",
                                                          base + path],
                         put=lambda local, remote: ["-T", local, f"{base}/{remote}"],
                         get=lambda remote, local: ["-o", local, f"{base}/{remote}"])
        return Command(argv, env=P.openssl_env(policy), timeout=timeout)

    def outcome(self, r):
        """Fetch(body=True): stdout is the body, then the status code."""
        if r.rc == 0:
            body = r.out[:-3] if r.out.endswith("200") else r.out
            return Outcome(r.out.endswith("200"), body, "HTTP body received", None, {}, r)
        m = re.search(r"^curl: \(\d+\) .*$", r.err, re.M)
        message = m.group(0) if m else f"exit {r.rc}"
        return Outcome(False, "", message, openssl_alert_name(message), {"rc": r.rc}, r)


CLIENT = Curl()

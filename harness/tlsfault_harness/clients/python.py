"""Python (the system OpenSSL): HTTPS with urllib (clients/https_client.py),
FTPS with ftplib.FTP_TLS, an implicit subclass or plain ftplib.FTP
(clients/ftplib_client.py). Both print one JSON line (Result.data)."""
from .. import paths
from . import profiles as P
from .base import Client, Command, NotApplicable, Outcome, ftp_actions, ftp_step
from .openssl import openssl_alert_name

PYTHON = "/usr/bin/python3"
HTTPS_CLIENT = paths.CLIENT_PROGRAMS / "https_client.py"
FTPLIB_CLIENT = paths.CLIENT_PROGRAMS / "ftplib_client.py"


def _list(path):
    if path != "/":
        raise NotApplicable("ftplib_client lists /")
    return "list"


def ftplib_action(action):
    return ftp_step(action, "python", ls=_list,
                    put=lambda local, remote: f"put:{local}:{remote}",
                    get=lambda remote, local: f"get:{remote}:{local}")


class Python(Client):
    name, family, binary = "python", "openssl", PYTHON
    traits = frozenset({"no-data-session-reuse"})
    column = 2
    PROFILES = {"https": ("default", "verify-none", "legacy"),
                "ftps": P.FTP_PROFILES + P.POLICY_PROFILES}

    def command(self, t, profile="default", action=None, tls=None, workdir=None,
                timeout=None):
        if t.ftps:
            return self._ftp(t, profile, action, self.uses_tls(t, profile, tls),
                             timeout or self.TIMEOUT)
        action = self.fetch(action)
        return Command([PYTHON, HTTPS_CLIENT, *self.program_args(t, profile, action)],
                       timeout=self.TIMEOUT)

    def _ftp(self, t, profile, action, tls, timeout):
        """action: one action, or a sequence run in one session."""
        policy = P.ftp_policy(profile)
        mode = ("implicit" if t.implicit else "explicit") if tls else "plain"
        argv = [PYTHON, FTPLIB_CLIENT, "--host", "localhost", "--port", t.port, "--mode", mode,
                "--cafile", t.ca, "--user", t.user, "--password", t.password,
                "--timeout", str(min(10, timeout - 5))]
        # Python replaces OpenSSL's CipherString with its own list: pass the
        # profile's list explicitly (MinProtocol still comes from OPENSSL_CONF).
        ciphers = P.openssl_cipher_list(policy)
        if ciphers:
            argv += ["--ciphers", ciphers]
        if policy == "verify-none":
            argv += ["--verify-none"]
        argv += [ftplib_action(a) for a in ftp_actions(action)]
        return Command(argv, env=P.openssl_env(policy), timeout=timeout)

    def outcome(self, r):
        d = r.data
        if not d:
            return Outcome.no_result(r)
        if d["ok"]:
            ok, body = d["status"] == 200, d.get("body", "")
            return Outcome(ok, body, f"HTTP {d['status']}", None, {}, r)
        message = f"{d['error_class']}: {d['error']}"
        return Outcome(False, "", message, openssl_alert_name(message), d, r)


CLIENT = Python()

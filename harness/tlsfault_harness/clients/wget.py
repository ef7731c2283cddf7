"""wget (GnuTLS): HTTPS to /dev/null, and FTPS: a listing of / over ftps://
(AUTH TLS, PROT P; --ftps-implicit for implicit FTPS) or ftp:// for a
plaintext client. FTPS profiles become the GnuTLS priority (--ciphers)."""
from . import profiles as P
from .base import Client, Command, FtpList, NotApplicable


class Wget(Client):
    name, family, binary = "wget", "gnutls", "wget"
    traits = frozenset({"cert-by-ca-name", "no-record-split"})
    column = 3
    PROFILES = {"https": ("default", "verify-none"), "ftps": P.FTP_PROFILES}

    def command(self, t, profile="default", action=None, tls=None, workdir=None):
        if t.ftps:
            return self._ftp(t, profile, action or FtpList(), self.uses_tls(t, profile, tls),
                             workdir)
        action = self.fetch(action, body=False)
        argv = ["wget", "-O", "/dev/null", "--tries=1", "--timeout=15", "--no-hsts",
                f"--ca-certificate={t.ca}", "--no-config"]
        if profile == "verify-none":
            argv.append("--no-check-certificate")
        cert, key = t.client_cert_files
        if cert:
            argv += [f"--certificate={cert}", f"--private-key={key}"]
        return Command(argv + [action.url(t.port)],
                       timeout=self.TIMEOUT)

    def _ftp(self, t, profile, action, tls, workdir):
        if action != FtpList():
            raise NotApplicable(f"wget: no FTP action {action} (it lists /)")
        policy = P.ftp_policy(profile)
        argv = ["wget", "-O", "/dev/null", "--tries=1", "--timeout=10", "--no-config",
                f"--ca-certificate={t.ca}", f"--user={t.user}", f"--password={t.password}"]
        if P.gnutls_priority(policy):
            argv.append(f"--ciphers={P.gnutls_priority(policy)}")
        if policy == "verify-none":
            argv.append("--no-check-certificate")
        if tls and t.implicit:
            argv.append("--ftps-implicit")
        # HOME and cwd: no ~/.wgetrc, no .listing left in the repository
        return Command(argv + [f"{'ftps' if tls else 'ftp'}://localhost:{t.port}/"],
                       env={"HOME": str(workdir)}, cwd=str(workdir), timeout=self.TIMEOUT)


CLIENT = Wget()

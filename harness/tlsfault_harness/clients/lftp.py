"""lftp (GnuTLS on Debian): FTPS with ftp:ssl-force (explicit) or ftps://
(implicit), ftp:ssl-allow no for a plaintext client; profiles become
ssl:priority. HTTPS: `get1` of / into a scratch file."""
import shutil
import tempfile
from pathlib import Path

from . import profiles as P
from .base import Client, Command, ftp_actions, ftp_step

SETS = ["set cmd:fail-exit yes", "set net:max-retries 1", "set net:timeout 8",
        "set net:reconnect-interval-base 1"]


def ftp_command(action):
    return ftp_step(action, "lftp", ls=lambda path: "ls" if path == "/" else f"ls {path}",
                    put=lambda local, remote: f"put {local} -o {remote}",
                    get=lambda remote, local: f"get {remote} -o {local}")


class Lftp(Client):
    name, family, binary = "lftp", "gnutls", "lftp"
    traits = frozenset({"cert-by-ca-name", "no-record-split"})
    column = 6
    PROFILES = {"https": ("default", "verify-none"), "ftps": P.FTP_PROFILES}

    def command(self, t, profile="default", action=None, tls=None, workdir=None, body=None,
                timeout=None):
        """action: one action, or a sequence run in one session."""
        sets = SETS + [f"set ssl:ca-file {t.ca}"]
        # HOME: no ~/.lftprc or bookmarks of the user
        env = {"HOME": str(workdir)}
        if not t.ftps:
            action = self.fetch(action, body=False)
            if profile == "verify-none":
                sets.append("set ssl:verify-certificate no")
            cert, key = t.client_cert_files
            if cert:
                sets += [f"set ssl:cert-file {cert}", f"set ssl:key-file {key}"]
            # get1, not cat: after a fatal error lftp's `cat` of a URL never exits
            script = "; ".join(sets + [f"get1 -o {body} {action.url(t.port)}"])
            return Command(["lftp", "-c", script], input="", env=env, timeout=self.TIMEOUT)
        tls = self.uses_tls(t, profile, tls)
        policy = P.ftp_policy(profile)
        if tls:
            sets += ["set ftp:ssl-force yes", "set ftp:ssl-protect-data yes",
                     "set ftp:ssl-protect-list yes"]
        else:
            sets += ["set ftp:ssl-allow no"]
        if P.gnutls_priority(policy):
            sets.append(f"set ssl:priority \"{P.gnutls_priority(policy)}\"")
        if policy == "verify-none":
            sets.append("set ssl:verify-certificate no")
        scheme = "ftps" if t.implicit and tls else "ftp"
        script = "; ".join(sets + [f"open -u {t.user},{t.password} "
                                   f"{scheme}://localhost:{t.port}"]
                           + [ftp_command(a) for a in ftp_actions(action)])
        return Command(["lftp", "-c", script], env=env, timeout=timeout or self.TIMEOUT)

    def run(self, t, profile="default", action=None, workdir=None, **opts):
        self.check(t, profile, opts.get("tls"))
        if t.ftps:
            return self._exec(self.command(t, profile, action, workdir=workdir, **opts),
                              profile)
        scratch = Path(tempfile.mkdtemp(prefix="lftp-", dir=workdir))
        try:
            return self._exec(self.command(t, profile, action, workdir=workdir,
                                           body=scratch / "body", **opts), profile)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


CLIENT = Lftp()

"""Perl's Net::FTP over IO::Socket::SSL (clients/ftps_client.pl), FTPS only:
the seed 000 CMS's own client, which prints "FTP failed to start tls:
Proceed with negotiation." and IO::Socket::SSL's error: AUTH TLS (explicit)
or TLS first (implicit), login, a listing; a plaintext client logs in in
clear. Upstream IO::Socket::SSL (Debian's) sets its own cipher list, so the
system policy in OPENSSL_CONF does not choose the suites; RHEL/CentOS patch
the module to use the system's (PROFILE=SYSTEM). Under a policy profile the
module emulates that patch: the policy's CipherString becomes the module's
SSL_cipher_list. No centos7 profile: what CentOS 7's module did with the
cipher list is unchecked."""
from .. import paths
from . import process
from . import profiles as P
from .base import Client, Command, FtpList, NotApplicable

PERL_CLIENT = paths.CLIENT_PROGRAMS / "ftps_client.pl"


class Perl(Client):
    name, family, binary = "perl", "openssl", "perl"
    traits = frozenset({"no-data-session-reuse"})
    column = 7
    PROFILES = {"ftps": tuple(p for p in P.FTP_PROFILES if p != "centos7") + P.POLICY_PROFILES}

    def installed(self):
        return process.run(["perl", "-MIO::Socket::SSL", "-MNet::FTP", "-e", "1"]).rc == 0

    def command(self, t, profile="default", action=None, tls=None, workdir=None,
                system_policy=True):
        """system_policy=False: the profile's OPENSSL_CONF alone, without the
        RHEL patch's cipher list (what upstream's module does with it)."""
        if (action or FtpList()) != FtpList():
            raise NotApplicable(f"perl: ftps_client.pl lists /, not {action}")
        tls = self.uses_tls(t, profile, tls)
        policy = P.ftp_policy(profile)
        argv = ["perl", PERL_CLIENT, "--host", "localhost", "--port", str(t.port),
                "--ca", t.ca, "--user", t.user, "--password", t.password,
                "--timeout", str(min(10, self.TIMEOUT - 5))]
        if not tls:
            argv.append("--plain")
        elif t.implicit:
            argv.append("--implicit")
        ciphers = P.openssl_cipher_list(policy) if system_policy else None
        if ciphers:
            argv += ["--cipher-list", ciphers]
        if policy == "verify-none":
            argv.append("--verify-none")
        return Command(argv, env=P.openssl_env(policy), timeout=self.TIMEOUT)


CLIENT = Perl()

"""gnutls-cli: HTTPS with a request; FTPS with --starttls-proto=ftp
(explicit) or TLS from the first byte (implicit), then a login with the
scenario's credentials. It always starts TLS: no plaintext FTP client."""
from . import profiles as P
from .base import HTTP_REQUEST, Client, Command, Fetch, Handshake, NotApplicable

LEGACY_PRIORITY = "NORMAL:+VERS-TLS1.0:+RSA:+AES-128-CBC:+SHA1"


class GnuTLS(Client):
    name, family, binary = "gnutls-cli", "gnutls", "gnutls-cli"
    traits = frozenset({"no-record-split"})
    column = 4
    PROFILES = {"https": ("default", "verify-none", "legacy"), "ftps": P.FTP_PROFILES}

    plain_ftp = False

    def command(self, t, profile="default", action=None, extra=(), tls=None, workdir=None):
        action = action or Fetch()
        argv = ["gnutls-cli", "--x509cafile", t.ca, "-p", str(t.port),
                "--sni-hostname", "localhost", "--verify-hostname", "localhost"]
        request = HTTP_REQUEST
        if t.ftps:
            profile = P.ftp_policy(profile)
            if not t.implicit:
                argv.append("--starttls-proto=ftp")
            if P.gnutls_priority(profile):
                argv.append(f"--priority={P.gnutls_priority(profile)}")
            # CR LF written here: gnutls-cli 3.7's --crlf also sends a NUL byte
            request = f"USER {t.user}\r\nPASS {t.password}\r\nQUIT\r\n"
        elif isinstance(action, Handshake):
            request = ""
        elif not isinstance(action, Fetch):
            raise NotApplicable(f"gnutls-cli: no HTTPS action {action}")
        if profile == "verify-none":
            argv.append("--insecure")
        if profile == "legacy":
            argv.append(f"--priority={LEGACY_PRIORITY}")
        cert, key = t.client_cert_files
        if cert:
            argv += ["--x509certfile", cert, "--x509keyfile", key]
        return Command(argv + list(extra) + ["127.0.0.1"], input=request, timeout=self.TIMEOUT)


CLIENT = GnuTLS()

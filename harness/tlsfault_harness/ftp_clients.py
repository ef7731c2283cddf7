"""FTP(S) client adapters: curl, lftp, Python's ftplib and Perl's Net::FTP
under named profiles.

Each adapter builds the real client's command line for (scenario, profile,
action), runs it with `clients.run` (trust given explicitly, never from the
environment) and returns an FtpReport: the exit status and output, and
whether the run was insecure (certificate verification switched off).

Profiles (seed 000, the CMS's FTPS delivery):
  default        the client as Debian 12 ships it
  rocky9         the seed's failure on Rocky Linux 9: crypto-policies DEFAULT
                 without RSA key exchange, no 3DES, TLS >= 1.2 (OpenSSL:
                 profiles/rocky9.cnf, which says where each line comes from;
                 GnuTLS: a priority)
  centos7        CentOS 7 defaults, AES128-SHA / DES-CBC3-SHA still offered
  cipher-aes128  the SSL_cipher_list=AES128 workaround, on top of rocky9
  verify-none    the FTPSSSLVerifyNone workaround: no certificate check
  policy-default, policy-legacy
                 crypto-policies' DEFAULT and LEGACY as generated for OpenSSL
                 (profiles/policy-*.cnf); OpenSSL clients only
The same profile means the same policy in every client; where a client cannot
take OPENSSL_CONF's CipherString (Python sets its own list), the adapter
passes the profile's list explicitly, read from the same .cnf file."""
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .clients import Result, run

PROFILE_DIR = paths.ROOT / "harness" / "profiles"
PROFILES = ("default", "rocky9", "centos7", "cipher-aes128", "verify-none")
# crypto-policies' generated OpenSSL policies (profiles/policy-*.cnf): for
# the OpenSSL-based clients only (no GnuTLS priority is derived from them)
POLICY_PROFILES = ("policy-default", "policy-legacy")
USER, PASSWORD = "tester", "secret"
FTPLIB_SCRIPT = Path(__file__).with_name("ftplib_client.py")
PERL_SCRIPT = paths.ROOT / "harness" / "clients" / "ftps_client.pl"

# OpenSSL clients: the OPENSSL_CONF file and extra cipher list per profile.
OPENSSL_PROFILE = {
    "default": (None, None),
    "rocky9": ("rocky9.cnf", None),
    "centos7": ("centos7.cnf", None),
    "cipher-aes128": ("rocky9.cnf", "AES128"),
    "verify-none": (None, None),
    "policy-default": ("policy-default.cnf", None),
    "policy-legacy": ("policy-legacy.cnf", None),
}

# lftp is built on GnuTLS on Debian: the same policies as priority strings.
GNUTLS_PRIORITY = {
    "default": None,
    # kRSA and 3DES out, TLS 1.2+ (Rocky 9 DEFAULT).
    "rocky9": "NORMAL:-RSA:-3DES-CBC:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
    # static RSA and 3DES in, TLS 1.0+ (CentOS 7 OpenSSL 1.0.2 defaults).
    "centos7": "NORMAL:+RSA:+3DES-CBC:+VERS-TLS1.1:+VERS-TLS1.0",
    # OpenSSL's "AES128": every AES-128 suite, static RSA included.
    "cipher-aes128": "NORMAL:-CIPHER-ALL:+AES-128-GCM:+AES-128-CBC:+RSA:-VERS-ALL:+VERS-TLS1.3:"
                     "+VERS-TLS1.2",
    "verify-none": None,
}


@dataclass
class FtpReport:
    client: str
    profile: str
    insecure: bool  # verification was off: a success here is not a secure one
    result: Result
    data: dict = field(default_factory=dict)  # ftplib's JSON report

    @property
    def rc(self):
        return self.result.rc

    @property
    def out(self):
        return self.result.out

    @property
    def err(self):
        return self.result.err

    @property
    def text(self):
        return self.result.text

    @property
    def timed_out(self):
        return self.result.timed_out

    def __repr__(self):
        return (f"FtpReport({self.client}, {self.profile}, insecure={self.insecure}, "
                f"rc={self.rc}, out={self.out[-800:]!r}, err={self.err[-800:]!r})")


def mode_of(suite, scenario):
    proto = suite.manifest[scenario]["protocol"]
    return "implicit" if proto == "ftps-implicit" else "explicit"


def cnf_cipher_string(name):
    """The CipherString a profile's .cnf sets (one source for every client)."""
    text = (PROFILE_DIR / name).read_text()
    m = re.search(r"^CipherString\s*=\s*(\S+)", text, re.M)
    return m.group(1)


def _check_profile(profile):
    if profile not in PROFILES + POLICY_PROFILES:
        raise ValueError(f"unknown profile {profile!r}; one of {PROFILES + POLICY_PROFILES}")


def curl(suite, scenario, profile="default", tls=True, upload=None, download=None,
         path="/", timeout=30, write_out=None):
    """curl ftp:// --ssl-reqd (explicit), ftps:// (implicit), or plain ftp://
    when tls=False. upload=(local, remote) or download=(remote, local); else
    a directory listing of `path`. write_out: curl's -w format, printed last."""
    _check_profile(profile)
    port = suite.port(scenario)
    implicit = mode_of(suite, scenario) == "implicit"
    argv = ["curl", "-sS", "--max-time", str(timeout - 5), "--user", f"{USER}:{PASSWORD}"]
    if tls:
        argv += ["--cacert", suite.certs / "ca.pem"]
        if not implicit:
            argv += ["--ssl-reqd"]
    cnf, ciphers = OPENSSL_PROFILE[profile]
    if ciphers:
        argv += ["--ciphers", ciphers]
    if profile == "verify-none":
        argv += ["-k"]
    if write_out:
        argv += ["-w", write_out]
    scheme = "ftps" if implicit and tls else "ftp"
    if upload:
        argv += ["-T", upload[0], f"{scheme}://localhost:{port}/{upload[1]}"]
    elif download:
        argv += ["-o", download[1], f"{scheme}://localhost:{port}/{download[0]}"]
    else:
        argv += [f"{scheme}://localhost:{port}{path}"]
    env = {"OPENSSL_CONF": str(PROFILE_DIR / cnf)} if cnf else None
    return FtpReport("curl", profile, profile == "verify-none", run(argv, timeout=timeout, env=env))


def gnutls_priority(profile):
    """The GnuTLS priority string of a profile (None: GnuTLS's default)."""
    if profile not in GNUTLS_PRIORITY:
        raise ValueError(f"profile {profile!r} has no GnuTLS priority string")
    return GNUTLS_PRIORITY[profile]


def lftp(suite, scenario, profile="default", tls=True, commands=("ls",), timeout=30):
    """lftp -c with ftp:ssl-force (explicit) or ftps:// (implicit); tls=False
    turns TLS off (ftp:ssl-allow no). `commands` run after `open`."""
    _check_profile(profile)
    port = suite.port(scenario)
    implicit = mode_of(suite, scenario) == "implicit"
    sets = [
        "set cmd:fail-exit yes",
        "set net:max-retries 1",
        "set net:timeout 8",
        "set net:reconnect-interval-base 1",
        f"set ssl:ca-file {suite.certs / 'ca.pem'}",
    ]
    if tls:
        sets += ["set ftp:ssl-force yes", "set ftp:ssl-protect-data yes",
                 "set ftp:ssl-protect-list yes"]
    else:
        sets += ["set ftp:ssl-allow no"]
    if gnutls_priority(profile):
        sets.append(f"set ssl:priority \"{gnutls_priority(profile)}\"")
    if profile == "verify-none":
        sets.append("set ssl:verify-certificate no")
    scheme = "ftps" if implicit and tls else "ftp"
    script = "; ".join(sets + [f"open -u {USER},{PASSWORD} {scheme}://localhost:{port}"]
                       + list(commands))
    env = {"HOME": str(suite.workdir)}  # no ~/.lftprc or bookmarks of the user
    r = run(["lftp", "-c", script], timeout=timeout, env=env)
    return FtpReport("lftp", profile, profile == "verify-none", r)


def wget(suite, scenario, profile="default", tls=True, timeout=30):
    """wget (GnuTLS): a listing of / over ftps:// (AUTH TLS, PROT P; with
    --ftps-implicit for implicit FTPS) or ftp:// when tls=False. Profiles
    become the GnuTLS priority string (--ciphers)."""
    _check_profile(profile)
    port = suite.port(scenario)
    implicit = mode_of(suite, scenario) == "implicit"
    argv = ["wget", "-O", "/dev/null", "--tries=1", "--timeout=10", "--no-config",
            f"--ca-certificate={suite.certs / 'ca.pem'}", f"--user={USER}",
            f"--password={PASSWORD}"]
    if gnutls_priority(profile):
        argv.append(f"--ciphers={gnutls_priority(profile)}")
    if profile == "verify-none":
        argv.append("--no-check-certificate")
    if tls and implicit:
        argv.append("--ftps-implicit")
    scheme = "ftps" if tls else "ftp"
    r = run(argv + [f"{scheme}://localhost:{port}/"], timeout=timeout,
            env={"HOME": str(suite.workdir)}, cwd=suite.workdir)
    return FtpReport("wget", profile, profile == "verify-none", r)


def ftplib(suite, scenario, profile="default", tls=True, actions=("list",), timeout=30):
    """Python's ftplib.FTP_TLS (explicit), an implicit subclass, or ftplib.FTP
    when tls=False. actions: "list", "put:LOCAL:REMOTE", "get:REMOTE:LOCAL"."""
    _check_profile(profile)
    port = suite.port(scenario)
    mode = mode_of(suite, scenario) if tls else "plain"
    argv = [sys.executable, FTPLIB_SCRIPT, "--host", "localhost", "--port", port, "--mode", mode,
            "--cafile", suite.certs / "ca.pem", "--user", USER, "--password", PASSWORD,
            "--timeout", str(min(10, timeout - 5))]
    cnf, ciphers = OPENSSL_PROFILE[profile]
    # Python replaces OpenSSL's CipherString with its own list: pass the
    # profile's list explicitly (MinProtocol still comes from OPENSSL_CONF).
    if ciphers or cnf:
        argv += ["--ciphers", ciphers or cnf_cipher_string(cnf)]
    if profile == "verify-none":
        argv += ["--verify-none"]
    argv += list(actions)
    env = {"OPENSSL_CONF": str(PROFILE_DIR / cnf)} if cnf else None
    r = run(argv, timeout=timeout, env=env)
    try:
        data = json.loads(r.out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        data = {}
    return FtpReport("ftplib", profile, profile == "verify-none", r, data)


def perl(suite, scenario, profile="default", tls=True, timeout=30):
    """The seed 000 CMS's own stack: Net::FTP + IO::Socket::SSL
    (clients/ftps_client.pl): AUTH TLS (explicit) or TLS first (implicit),
    login, a listing; tls=False logs in in plaintext. Upstream
    IO::Socket::SSL (Debian's) sets its own cipher list, so the system
    policy in OPENSSL_CONF does not choose the suites; RHEL/CentOS patch the
    module to use the system's (PROFILE=SYSTEM). Under a policy profile the
    adapter emulates that patch: the policy's CipherString becomes the
    module's SSL_cipher_list."""
    _check_profile(profile)
    if profile == "centos7":
        raise ValueError("perl: no checked description of CentOS 7's IO::Socket::SSL defaults")
    port = suite.port(scenario)
    argv = ["perl", PERL_SCRIPT, "--host", "localhost", "--port", str(port),
            "--ca", suite.certs / "ca.pem", "--user", USER, "--password", PASSWORD,
            "--timeout", str(min(10, timeout - 5))]
    if not tls:
        argv.append("--plain")
    elif mode_of(suite, scenario) == "implicit":
        argv.append("--implicit")
    cnf, ciphers = OPENSSL_PROFILE[profile]
    if ciphers or cnf:
        argv += ["--cipher-list", ciphers or cnf_cipher_string(cnf)]
    if profile == "verify-none":
        argv.append("--verify-none")
    env = {"OPENSSL_CONF": str(PROFILE_DIR / cnf)} if cnf else None
    return FtpReport("perl", profile, profile == "verify-none", run(argv, timeout=timeout, env=env))


CLIENTS = {"curl": curl, "lftp": lftp, "ftplib": ftplib, "perl": perl, "wget": wget}


class ControlProbe:
    """A raw FTP control connection for protocol tests (bad input, paths):
    sends exact bytes and reads whole replies, multi-line ones included.
    Not a client under test; it checks the server's side of RFC 959."""

    def __init__(self, suite, scenario, tls=True, timeout=10.0):
        import socket
        import ssl
        self.ssl = ssl
        self.sock = socket.create_connection((suite.host, suite.port(scenario)), timeout=timeout)
        self.ctx = ssl.create_default_context(cafile=str(suite.certs / "ca.pem"))
        self.buf = b""
        implicit = mode_of(suite, scenario) == "implicit"
        if implicit:
            self.sock = self.ctx.wrap_socket(self.sock, server_hostname="localhost")
        self.greeting = self.reply()
        if tls and not implicit:
            assert self.cmd("AUTH TLS")[0] == 234
            self.sock = self.ctx.wrap_socket(self.sock, server_hostname="localhost")

    def _line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed; partial {self.buf!r}")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """(code, [lines]) of one reply (RFC 959 4.2)."""
        first = self._line()
        code = int(first[:3])
        lines = [first]
        if first[3:4] == "-":
            while True:
                line = self._line()
                lines.append(line)
                if line[:3] == first[:3] and line[3:4] == " ":
                    break
        return code, lines

    def send_raw(self, data):
        self.sock.sendall(data)

    def cmd(self, line):
        self.send_raw(line.encode() + b"\r\n")
        return self.reply()

    def login(self, user=USER, password=PASSWORD):
        assert self.cmd(f"USER {user}")[0] == 331
        return self.cmd(f"PASS {password}")

    def pasv_data(self, prot_p=True):
        """Open the passive data connection (EPSV); TLS-wrapped under PROT P,
        resuming the control session as curl and lftp do."""
        import re as _re
        import socket
        code, lines = self.cmd("EPSV")
        assert code == 229, lines
        port = int(_re.search(r"\(\|\|\|(\d+)\|\)", lines[0]).group(1))
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if prot_p:
            s = self.ctx.wrap_socket(s, server_hostname="localhost", session=self.sock.session)
        return s

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

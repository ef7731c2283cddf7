"""What every client module provides: the command for (target, profile,
action) and running it. A module raises NotApplicable for what its client
cannot express; the matrix lists such cells as not applicable with that
reason, a test gets the exception.

Actions (default: what a matrix cell does):
  HTTPS  Fetch(path, host, body)  GET `path` from `host`; body=True keeps
                                  the body in the output (mTLS pages name
                                  the verified subject)
         Handshake()              only the handshake (s_client, gnutls-cli)
  FTPS   FtpList(path)            log in and list (a matrix cell)
         FtpPut(local, remote), FtpGet(remote, local)
Credentials and client certificates come from the target (the scenario's
`show --json`), never from a constant here."""
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from . import process
from .target import FTPS

HTTP_REQUEST = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"


class NotApplicable(Exception):
    """This client cannot express this protocol, profile or action."""


@dataclass(frozen=True)
class Fetch:
    path: str = "/"
    host: str = "localhost"
    body: bool = False

    def url(self, port):
        return f"https://{self.host}:{port}{self.path}"


@dataclass(frozen=True)
class Handshake:
    pass


@dataclass(frozen=True)
class FtpList:
    path: str = "/"


@dataclass(frozen=True)
class FtpPut:
    local: str
    remote: str


@dataclass(frozen=True)
class FtpGet:
    remote: str
    local: str


@dataclass
class Command:
    argv: list
    input: str | None = None
    env: dict | None = None
    cwd: str | None = None
    timeout: float = 30


@dataclass
class Outcome:
    """A client's report of one HTTPS request, in its own words: did an HTTP
    200 come back, the body, its one-line report and the name of the server
    alert it says it received (parsed from the client's words, never from the
    server's event: tests compare the two)."""
    ok: bool
    body: str
    message: str
    alert: str | None
    details: dict
    result: process.Result

    @classmethod
    def no_result(cls, result):
        """What a JSON-reporting program (harness/clients/) that printed no
        result line reported."""
        return cls(False, "", f"no result line (rc {result.rc})", None, {}, result)

    def __str__(self):
        r = self.result
        return (f"{r.client}: ok={self.ok} alert={self.alert} message={self.message!r}\n"
                f"  argv={' '.join(r.argv)}\n  rc={r.rc} timed_out={r.timed_out}\n"
                f"  stdout={r.out[-1500:]!r}\n  stderr={r.err[-1500:]!r}")


@contextmanager
def staged(out):
    """A temporary directory beside `out`, renamed to `out` when the block
    succeeds: sessions building side by side never see half a build (a twin
    that finished first wins)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    try:
        yield tmp
        try:
            tmp.rename(out)
        except OSError:
            if not out.exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def checked(result, what):
    """`result` of a build step, or RuntimeError with its output."""
    if result.rc != 0:
        raise RuntimeError(f"{what} failed:\n{result.text}")
    return result


def ftp_step(action, client, ls, put, get):
    """One FTP action in a client's own words: ls(path), put(local, remote)
    or get(remote, local); NotApplicable for any other action."""
    if isinstance(action, FtpList):
        return ls(action.path)
    if isinstance(action, FtpPut):
        return put(action.local, action.remote)
    if isinstance(action, FtpGet):
        return get(action.remote, action.local)
    raise NotApplicable(f"{client}: no FTP action {action}")


def ftp_actions(action):
    """The FTP actions of one session: a sequence as given, else the one
    action (default: a listing of /)."""
    return action if isinstance(action, (tuple, list)) else [action or FtpList()]


def kind(protocol):
    """Profiles are per kind of protocol: https, or ftps (either mode)."""
    return "ftps" if protocol in FTPS else protocol


# Behaviours of real clients that decide a scenario's outcome. A scenario
# says `trait.NAME = class` in [expect]; a client module lists the traits
# its client has, so a new client with a known behaviour needs no scenario
# edit (a `client.NAME` row stays for one tool's own quirk).
TRAITS = {
    "cert-by-ca-name": "chooses its client certificate by the CA names of the CertificateRequest "
                       "and sends none when none matches",
    "no-record-split": "never splits the first CBC application record (no 1/n-1 or 0/n)",
    "tls10-off-by-default": "refuses TLS 1.0 unless told otherwise (the default profile)",
    "no-data-session-reuse": "does not resume the control connection's TLS session on the "
                             "FTPS data connection",
}


class Client:
    name = ""
    traits = frozenset()  # keys of TRAITS
    family = ""        # TLS stack: openssl, gnutls, jsse, boringssl, node-openssl, go
    binary = ""
    weight = 1         # how slow a run is, for the matrix's scheduling
    column = 99        # where the reports list it
    PROFILES = {"https": ("default", "verify-none")}  # kind of protocol -> profiles
    TIMEOUT = 30       # seconds for the whole process
    plain_ftp = True   # can be a plaintext FTP client (s_client, gnutls-cli cannot)

    @property
    def protocols(self):
        return tuple(p for p in ("https",) + FTPS if kind(p) in self.PROFILES)

    def profiles_for(self, protocol):
        return self.PROFILES.get(kind(protocol), ())

    def installed(self):
        return shutil.which(self.binary) is not None

    def check(self, target, profile="default", tls=None):
        """Raise NotApplicable unless this client can run `target` under
        `profile` (tls: None = as the scenario's client does)."""
        if target.protocol not in self.protocols:
            raise NotApplicable(f"{self.name} does not speak {target.protocol}")
        if profile not in self.profiles_for(target.protocol):
            raise NotApplicable(f"{self.name} has no '{profile}' profile")
        if target.ftps and not self.plain_ftp and not self.uses_tls(target, profile, tls):
            raise NotApplicable(f"{self.name} always starts TLS: it cannot be a plaintext "
                                "FTP client")

    @staticmethod
    def uses_tls(target, profile, tls=None):
        """Whether an FTP client uses TLS: the scenario's [client] plaintext,
        unless the profile (auth-tls) or the caller says otherwise."""
        if tls is not None:
            return tls
        return not target.plaintext or profile == "auth-tls"

    def command(self, target, profile="default", action=None, **opts):
        raise NotImplementedError

    def run(self, target, profile="default", action=None, workdir=None, **opts):
        """Run the client to completion; a Result naming client and profile."""
        self.check(target, profile, opts.get("tls"))
        cmd = self.command(target, profile, action, workdir=workdir, **opts)
        return self._exec(cmd, profile)

    def _exec(self, cmd, profile):
        r = process.run(cmd.argv, timeout=cmd.timeout, input=cmd.input, env=cmd.env,
                        cwd=cmd.cwd)
        r.client, r.profile = self.name, profile
        return r

    _build_lock = threading.Lock()  # the matrix runs scenarios in parallel threads
    _built = None

    def built(self, make):
        """make(build dir) once per process (a compiled client program)."""
        cls = type(self)
        with Client._build_lock:
            if cls._built is None:
                cls._built = make(paths.BUILD)
        return cls._built

    def fetch(self, action, body=True, url=True):
        """The HTTPS Fetch to do (default: GET / from localhost); NotApplicable
        for another action, for body=True when the client cannot keep the
        body, for another URL when url=False (it fetches / of localhost only)."""
        action = action or Fetch()
        if (not isinstance(action, Fetch) or (action.body and not body)
                or (not url and (action.path, action.host) != ("/", "localhost"))):
            raise NotApplicable(f"{self.name}: no HTTPS action {action}")
        return action

    @staticmethod
    def program_args(t, profile, action, dash="--"):
        """The options the harness's HTTPS programs share: url, ca, profile,
        the scenario's client cert and key, body."""
        out = [f"{dash}url", action.url(t.port), f"{dash}ca", t.ca, f"{dash}profile", profile]
        cert, key = t.client_cert_files
        if cert:
            out += [f"{dash}cert", cert, f"{dash}key", key]
        return out + ([f"{dash}body"] if action.body else [])

    def outcome(self, result):
        """The client's report of an HTTPS request (Outcome)."""
        raise NotApplicable(f"{self.name} has no HTTPS report parser")

"""One adapter per real client: how to run it against a target under a
profile. Adapters only run clients and return their raw output; turning
that output into a failure class is classify.py's job (data tables).

Profiles (issue 5): default, verify-none (skip verification, the seed 000
workaround), legacy (allow TLS 1.0), no-split (do not split the first CBC
record), rocky9 / centos7 / cipher-aes128 (FTPS cipher policies),
policy-default / policy-legacy (crypto-policies as generated, OpenSSL
clients only)."""
import hashlib
import json
import shutil
import tempfile
import threading
from pathlib import Path

from ..clients import run
from ..ftp_clients import POLICY_PROFILES
from ..paths import ROOT, BUILD

CLIENT_DIR = ROOT / "harness" / "clients"
PROFILE_DIR = ROOT / "harness" / "profiles"
TIMEOUT = 30
HTTP_REQUEST = "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n"


class NotApplicable(Exception):
    """This client cannot express this profile or protocol."""


FTPS = ("ftps-explicit", "ftps-implicit")
FTP_PROFILES = ("default", "verify-none", "rocky9", "centos7", "cipher-aes128", "auth-tls")
# crypto-policies' own OpenSSL output (profiles/policy-*.cnf): OpenSSL clients
FTP_POLICY_PROFILES = POLICY_PROFILES


def _kind(protocol):
    """Profiles are per kind of protocol: https, or ftps (either mode)."""
    return "ftps" if protocol in FTPS else protocol


class Adapter:
    name = ""
    family = ""        # TLS stack: openssl, gnutls, jsse, boringssl, node-openssl
    binary = ""
    PROFILES = {"https": ("default", "verify-none")}  # kind of protocol -> profiles

    @property
    def protocols(self):
        return tuple(p for p in ("https",) + FTPS if _kind(p) in self.PROFILES)

    def profiles_for(self, protocol):
        return self.PROFILES.get(_kind(protocol), ())

    def installed(self):
        return shutil.which(self.binary) is not None

    def supports(self, target, profile):
        return profile in self.profiles_for(target.protocol)

    def run(self, target, profile, workdir):
        raise NotImplementedError


def _client_cert_name(target):
    return (target.info.get("client") or {}).get("cert") or None


def _client_cert_files(target):
    """(cert, key) the scenario's client should present, or (None, None)."""
    name = _client_cert_name(target)
    if not name:
        return None, None
    return target.certs / f"{name}.pem", target.certs / f"{name}.key"


class _SuiteView:
    """What ftp_clients' functions read from a Suite, for one target."""

    def __init__(self, target, workdir):
        self.certs, self.workdir = target.certs, Path(workdir)
        self.manifest = {target.scenario: {"protocol": target.protocol}}
        self._port = target.port

    def port(self, scenario):
        return self._port


def _ftp_tls(target, profile):
    """Whether the scenario's FTP client uses TLS ([client] plaintext)."""
    plaintext = (target.info.get("client") or {}).get("plaintext")
    return not plaintext or profile == "auth-tls"


def _ftp_profile(profile):
    return "default" if profile == "auth-tls" else profile


def _ftp_run(kind, target, profile, workdir, **kw):
    from .. import ftp_clients
    fn = getattr(ftp_clients, kind)
    return fn(_SuiteView(target, workdir), target.scenario, _ftp_profile(profile),
              tls=_ftp_tls(target, profile), **kw).result


class Curl(Adapter):
    name, family, binary = "curl", "openssl", "curl"
    PROFILES = {"https": ("default", "verify-none", "legacy", "no-split"),
                "ftps": FTP_PROFILES + FTP_POLICY_PROFILES}

    def run(self, target, profile, workdir):
        if target.protocol in FTPS:
            # a listing; -w prints the last FTP reply code, so a listing of
            # an empty root still says what happened
            return _ftp_run("curl", target, profile, workdir,
                            write_out="FTP %{response_code}\n")
        argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "15",
                "--cacert", target.ca]
        argv += {"default": [], "verify-none": ["-k"],
                 "legacy": ["--tlsv1.0", "--ciphers", "DEFAULT@SECLEVEL=0"],
                 "no-split": ["--ssl-allow-beast"]}[profile]
        cert, key = _client_cert_files(target)
        if cert:
            argv += ["--cert", cert, "--key", key]
        return run(argv + [f"https://localhost:{target.port}/"], timeout=TIMEOUT)


class OpenSSL(Adapter):
    """openssl s_client: HTTPS with a request; FTPS with `-starttls ftp`
    (explicit) or TLS from the first byte (implicit), then a login."""
    name, family, binary = "openssl", "openssl", "openssl"
    PROFILES = {"https": ("default", "verify-none", "legacy", "no-split"),
                "ftps": FTP_PROFILES + FTP_POLICY_PROFILES}

    def supports(self, target, profile):
        # s_client always starts TLS: it cannot be a plaintext FTP client
        return super().supports(target, profile) and (
            target.protocol not in FTPS or _ftp_tls(target, profile))

    def run(self, target, profile, workdir):
        argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{target.port}",
                "-servername", "localhost", "-verify_hostname", "localhost",
                "-CAfile", target.ca, "-ign_eof"]
        if profile != "verify-none":
            argv.append("-verify_return_error")
        env, request = None, HTTP_REQUEST
        if target.protocol in FTPS:
            from ..ftp_clients import OPENSSL_PROFILE, PASSWORD, PROFILE_DIR, USER
            cnf, ciphers = OPENSSL_PROFILE[_ftp_profile(profile)]
            argv += (["-starttls", "ftp"] if target.protocol == "ftps-explicit" else [])
            argv += ["-crlf"] + (["-cipher", ciphers] if ciphers else [])
            env = {"OPENSSL_CONF": str(PROFILE_DIR / cnf)} if cnf else None
            request = f"USER {USER}\nPASS {PASSWORD}\nQUIT\n"
        else:
            argv += {"default": [], "verify-none": [],
                     "legacy": ["-cipher", "DEFAULT@SECLEVEL=0"], "no-split": ["-bugs"]}[profile]
        cert, key = _client_cert_files(target)
        if cert:
            argv += ["-cert", cert, "-key", key]
        return run(argv, input=request, timeout=TIMEOUT, env=env)


class PythonHTTPS(Adapter):
    """Python's urllib over ssl.create_default_context (OpenSSL); for FTPS,
    ftplib.FTP_TLS (ftp_clients.ftplib)."""
    name, family, binary = "python", "openssl", "/usr/bin/python3"
    PROFILES = {"https": ("default", "verify-none", "legacy"),
                "ftps": FTP_PROFILES + FTP_POLICY_PROFILES}

    def run(self, target, profile, workdir):
        if target.protocol in FTPS:
            return _ftp_run("ftplib", target, profile, workdir)
        cert, key = _client_cert_files(target)
        argv = ["/usr/bin/python3", CLIENT_DIR / "https_client.py", "--url",
                f"https://localhost:{target.port}/", "--ca", target.ca, "--profile", profile]
        if cert:
            argv += ["--cert", cert, "--key", key]
        return run(argv, timeout=TIMEOUT)


class Wget(Adapter):
    """wget (GnuTLS): HTTPS, and FTPS through ftp_clients.wget (a listing)."""
    name, family, binary = "wget", "gnutls", "wget"
    PROFILES = {"https": ("default", "verify-none"), "ftps": FTP_PROFILES}

    def run(self, target, profile, workdir):
        if target.protocol in FTPS:
            return _ftp_run("wget", target, profile, workdir)
        argv = ["wget", "-O", "/dev/null", "--tries=1", "--timeout=15", "--no-hsts",
                f"--ca-certificate={target.ca}", "--no-config"]
        if profile == "verify-none":
            argv.append("--no-check-certificate")
        cert, key = _client_cert_files(target)
        if cert:
            argv += [f"--certificate={cert}", f"--private-key={key}"]
        return run(argv + [f"https://localhost:{target.port}/"], timeout=TIMEOUT)


class GnuTLS(Adapter):
    """gnutls-cli: HTTPS with a request; FTPS with --starttls-proto=ftp
    (explicit) or TLS from the first byte (implicit), then a login."""
    name, family, binary = "gnutls-cli", "gnutls", "gnutls-cli"
    PROFILES = {"https": ("default", "verify-none", "legacy"), "ftps": FTP_PROFILES}

    def supports(self, target, profile):
        # gnutls-cli always starts TLS: it cannot be a plaintext FTP client
        return super().supports(target, profile) and (
            target.protocol not in FTPS or _ftp_tls(target, profile))

    def run(self, target, profile, workdir):
        argv = ["gnutls-cli", "--x509cafile", target.ca, "-p", str(target.port),
                "--sni-hostname", "localhost", "--verify-hostname", "localhost"]
        request = HTTP_REQUEST
        if target.protocol in FTPS:
            from ..ftp_clients import PASSWORD, USER, gnutls_priority
            profile = _ftp_profile(profile)
            if target.protocol == "ftps-explicit":
                argv.append("--starttls-proto=ftp")
            if gnutls_priority(profile):
                argv.append(f"--priority={gnutls_priority(profile)}")
            # CR LF written here: gnutls-cli 3.7's --crlf also sends a NUL byte
            request = f"USER {USER}\r\nPASS {PASSWORD}\r\nQUIT\r\n"
        if profile == "verify-none":
            argv.append("--insecure")
        if profile == "legacy":
            argv.append("--priority=NORMAL:+VERS-TLS1.0:+RSA:+AES-128-CBC:+SHA1")
        cert, key = _client_cert_files(target)
        if cert:
            argv += ["--x509certfile", cert, "--x509keyfile", key]
        return run(argv + ["127.0.0.1"], input=request, timeout=TIMEOUT)


class Node(Adapter):
    name, family, binary = "node", "node-openssl", "node"
    PROFILES = {"https": ("default", "verify-none", "legacy")}

    def run(self, target, profile, workdir):
        cert, key = _client_cert_files(target)
        opts = {"host": "127.0.0.1", "port": target.port, "servername": "localhost",
                "ca": str(target.ca), "profile": profile,
                "cert": str(cert) if cert else None, "key": str(key) if key else None}
        return run(["node", CLIENT_DIR / "https_client.js", json.dumps(opts)], timeout=TIMEOUT)


class Chromium(Adapter):
    """Headless Chromium driven over the DevTools pipe (clients/chromium_cdp.py)
    with a private NSS database that trusts only the suite's CA (Chromium on
    Linux reads trust from NSS, not from PEM files). Reports the
    navigation's net::ERR_* code and keeps a screenshot for the report."""
    name, family, binary = "chromium", "boringssl", "chromium"
    _home_lock = threading.Lock()
    FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
             "--window-size=1000,700"]

    def supports(self, target, profile):
        # A client certificate would have to be imported and auto-selected
        # by policy; the issue scopes Chromium to the HTTPS scenarios.
        return super().supports(target, profile) and target.client_auth == "none"

    def _home(self, target, workdir):
        # Named by the CA's hash: certs are remade at every build, and a
        # database that still trusts the previous root fails every cell.
        digest = hashlib.sha256(Path(target.ca).read_bytes()).hexdigest()[:16]
        home = Path(workdir) / f"chromium-home-{digest}"
        db = home / ".pki" / "nssdb"
        with self._home_lock:  # scenarios run in parallel threads
            if not (db / "cert9.db").exists():
                self._make_nssdb(db, target.ca)
        return home

    @staticmethod
    def _make_nssdb(db, ca):
        db.mkdir(parents=True, exist_ok=True)
        r = run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"])
        r2 = run(["certutil", "-A", "-d", f"sql:{db}", "-n", "tlsfault-test-root",
                  "-t", "C,,", "-i", ca])
        if r.rc or r2.rc:
            raise RuntimeError(f"certutil failed: {r.err} {r2.err}")

    def run(self, target, profile, workdir):
        home = self._home(target, workdir)
        shots = Path(workdir) / "screens"
        shots.mkdir(exist_ok=True)
        png = shots / f"{target.scenario}-{profile}.png"
        with tempfile.TemporaryDirectory(prefix="chromium-", dir=workdir) as profile_dir:
            flags = self.FLAGS + [f"--user-data-dir={profile_dir}"]
            if profile == "verify-none":
                flags.append("--ignore-certificate-errors")
            r = run(["/usr/bin/python3", CLIENT_DIR / "chromium_cdp.py",
                     f"https://localhost:{target.port}/", png, *flags], timeout=60,
                    env={"HOME": str(home)})
        r.screenshot = str(png) if png.exists() else None
        return r


class Lftp(Adapter):
    """lftp (GnuTLS on Debian): FTPS (profiles become ssl:priority) and
    HTTPS (`cat` of /, the body on stdout)."""
    name, family, binary = "lftp", "gnutls", "lftp"
    PROFILES = {"https": ("default", "verify-none"), "ftps": FTP_PROFILES}

    def run(self, target, profile, workdir):
        if target.protocol in FTPS:
            return _ftp_run("lftp", target, profile, workdir)
        sets = ["set cmd:fail-exit yes", "set net:max-retries 1", "set net:timeout 8",
                "set net:reconnect-interval-base 1", f"set ssl:ca-file {target.ca}"]
        if profile == "verify-none":
            sets.append("set ssl:verify-certificate no")
        cert, key = _client_cert_files(target)
        if cert:
            sets += [f"set ssl:cert-file {cert}", f"set ssl:key-file {key}"]
        # get1, not cat: after a fatal error lftp's `cat` of a URL never exits
        body = Path(tempfile.mkdtemp(prefix="lftp-", dir=workdir)) / "body"
        script = "; ".join(sets + [f"get1 -o {body} https://localhost:{target.port}/"])
        # no ~/.lftprc or bookmarks of the user
        r = run(["lftp", "-c", script], timeout=TIMEOUT, env={"HOME": str(workdir)},
                input="")
        shutil.rmtree(body.parent, ignore_errors=True)
        return r


class Perl(Adapter):
    """Perl's Net::FTP over IO::Socket::SSL (clients/ftps_client.pl), FTPS
    only: the seed 000 CMS's own client, which prints "FTP failed to start
    tls: Proceed with negotiation." and IO::Socket::SSL's error. No centos7
    profile: what CentOS 7's module did with the cipher list is unchecked."""
    name, family, binary = "perl", "openssl", "perl"
    PROFILES = {"ftps": tuple(p for p in FTP_PROFILES if p != "centos7") + FTP_POLICY_PROFILES}

    def installed(self):
        return run(["perl", "-MIO::Socket::SSL", "-MNet::FTP", "-e", "1"]).rc == 0

    def run(self, target, profile, workdir):
        return _ftp_run("perl", target, profile, workdir)


class Java(Adapter):
    """Java 17 JSSE (HttpsURLConnection), the seed 002 gateway's own kind of
    client: PKCS#12 keystore with the scenario's client cert, truststore
    with the suite root only. Compiled once by mtls_clients.build_java."""
    name, family, binary = "java", "jsse", "java"
    PROFILES = {"https": ("default",)}
    _built = None

    def run(self, target, profile, workdir):
        from ..mtls_clients import P12_PASSWORD, JAVA_MAIN, build_java
        if Java._built is None:
            Java._built = build_java(BUILD)
        jc = Java._built
        argv = ["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", jc.classes, JAVA_MAIN,
                "--url", f"https://localhost:{target.port}/",
                "--truststore", jc.truststore, "--truststore-password", P12_PASSWORD]
        cert = _client_cert_name(target)
        if cert:
            argv += ["--keystore", target.certs / f"{cert}.p12",
                     "--keystore-password", P12_PASSWORD]
        return run(argv, timeout=TIMEOUT)


ADAPTERS = {a.name: a for a in (Curl(), OpenSSL(), PythonHTTPS(), Wget(), GnuTLS(), Node(),
                                Lftp(), Perl(), Java(), Chromium())}

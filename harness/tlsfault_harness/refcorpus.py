"""The reference corpus: real client outputs captured against independent
reference servers (Debian's OpenSSL s_server, nginx and vsftpd, on
loopback, each from a private configuration under build/refcorpus/) made
to reproduce tlsfault's failures, kept as fixtures in tests/classify-ref/.

    python3 -m tlsfault_harness.refcorpus [--clients curl,wget,...] [--cases GLOBS]

Each fixture's truth is how the reference server was configured (the case's
`failure` and the facts its configuration guarantees, `server`), never what
the classifier says: the header records them with the exit code, and
harness/tests/test_classify.py checks that the classifier, from the raw
output alone, gives each a claim that grades.toml passes for that truth.
A client that accepts what it should refuse is recorded as it is (`ok`):
it is right only where exceptions.toml knows that deviation."""
import argparse
import fnmatch
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from .clients import CLIENTS, NotApplicable, Target, scenario_infos
from .matrix.capture import REF
from .paths import BUILD, CERTS, ROOT
START_TIMEOUT = 10.0
MAX_OUTPUT = 64000


@dataclass
class Case:
    name: str
    scenario: str          # the tlsfault scenario it reproduces
    failure: str           # what the reference server was made to do (a class)
    server: tuple          # facts the configuration guarantees (witness.py's names)
    args: list             # s_server arguments beyond the listener
    client_cert: str = None
    client_auth: str = "none"
    accepts_ok: bool = False  # a client that connects anyway is a known deviation
    kind: str = "s_server"    # "nginx": `args` is the server block's body; "vsftpd": config lines
    protocol: str = "https"   # the clients' protocol (ftps-explicit / ftps-implicit for vsftpd)
    plaintext: bool = False   # the FTP client logs in without TLS ([client] plaintext)
    variants: tuple = ()      # (client, failure) where a client's truth differs, as in the scenario


def _c(name):
    return str(CERTS / name)


def _extra(chain):
    """The certificates of CERTS/chain after the leaf, in a file of their own:
    s_server sends only the first certificate of -cert, the rest from
    -cert_chain."""
    blocks = (CERTS / chain).read_text().split("-----END CERTIFICATE-----")
    out = BUILD / "refcorpus" / chain.replace(".chain.pem", ".extra.pem")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(b + "-----END CERTIFICATE-----" for b in blocks[1:] if b.strip()) + "\n")
    return str(out)


def _served(leaf):
    """-cert/-key/-cert_chain for build/certs' LEAF.chain.pem."""
    return ["-cert", _c(f"{leaf}.pem"), "-key", _c(f"{leaf}.key"),
            "-cert_chain", _extra(f"{leaf}.chain.pem")]


LEAF = _served("leaf-valid")
# -verify_return_error: without it s_server logs a bad client certificate
# and serves anyway.
VERIFY_A = ["-Verify", "1", "-verify_return_error", "-CAfile", _c("client-ca-a.pem")]
CASES = [
    Case("valid", "https-valid", "ok", ("session-ok",), LEAF),
    Case("self-signed", "https-self-signed", "self-signed", (),
         ["-cert", _c("leaf-self-signed.pem"), "-key", _c("leaf-self-signed.key")]),
    Case("incomplete-chain", "https-incomplete-chain", "untrusted-issuer", (),
         ["-cert", _c("leaf-valid.pem"), "-key", _c("leaf-valid.key")]),
    Case("untrusted-root", "https-untrusted-root", "untrusted-root", (),
         _served("leaf-private-full-chain")),
    Case("expired", "https-expired", "expired", (),
         _served("leaf-expired")),
    Case("not-yet-valid", "https-not-yet-valid", "not-yet-valid", (),
         _served("leaf-not-yet-valid")),
    Case("wrong-host", "https-wrong-host", "hostname-mismatch", (),
         _served("leaf-wrong-host")),
    Case("no-serverauth-eku", "https-no-serverauth-eku", "bad-purpose", (),
         _served("leaf-no-serverauth")),
    # Only a PSK suite and no PSK: s_server answers every ClientHello with
    # handshake_failure ("no shared cipher").
    Case("no-shared-cipher", "ftps-legacy-ciphers", "no-shared-cipher", ("no-shared-cipher",),
         LEAF + ["-no_tls1_3", "-cipher", "PSK-AES128-CBC-SHA"]),
    # TLS 1.0 with an ECDHE suite: the ServerKeyExchange is signed MD5+SHA1,
    # which OpenSSL 3.0 clients refuse at security level 1.
    Case("tls10-only-ecdhe", "https-tls10-only", "protocol-version", (),
         LEAF + ["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"], accepts_ok=True),
    # No certificate at all (ftps-no-cert's failure, over HTTPS): s_server
    # -nocert offers only anonymous suites, which no client offers.
    Case("no-cert", "ftps-no-cert", "handshake-failure", ("no-server-cert",),
         ["-nocert", "-no_tls1_3"]),
    # TLS 1.2 without a client certificate: s_server sends handshake_failure
    # (RFC 5246 7.4.6 lets it), not tlsfault's bad_certificate.
    Case("client-cert-missing", "mtls-client-cert-missing", "peer-rejected-cert",
         ("no-client-cert",), LEAF + VERIFY_A + ["-no_tls1_3"], client_auth="require"),
    Case("client-cert-missing-tls13", "mtls-client-cert-missing-tls13", "cert-required",
         ("no-client-cert",), LEAF + VERIFY_A + ["-tls1_3"], client_auth="require"),
    Case("ca-mismatch", "mtls-ca-mismatch", "peer-rejected-cert",
         ("client-cert-rejected", "no-client-cert"), LEAF + VERIFY_A + ["-no_tls1_3"],
         client_cert="client-b", client_auth="require"),
    Case("client-cert-expired", "mtls-client-cert-expired", "peer-rejected-cert",
         ("client-cert-rejected",), LEAF + VERIFY_A + ["-no_tls1_3"],
         client_cert="client-a-expired", client_auth="require"),
]


def _ngx(leaf, *lines):
    """An nginx server block's body serving build/certs' LEAF.chain.pem."""
    return ["listen 127.0.0.1:@PORT@ ssl;", f"ssl_certificate {_c(leaf + '.chain.pem')};",
            f"ssl_certificate_key {_c(leaf + '.key')};", *lines]


OK_200 = "location / { return 200 \"reference nginx\\n\"; }"
CASES += [
    Case("valid", "https-valid", "ok", ("session-ok",), _ngx("leaf-valid", OK_200),
         kind="nginx"),
    Case("self-signed", "https-self-signed", "self-signed", (),
         ["listen 127.0.0.1:@PORT@ ssl;", f"ssl_certificate {_c('leaf-self-signed.pem')};",
          f"ssl_certificate_key {_c('leaf-self-signed.key')};", OK_200], kind="nginx"),
    Case("expired", "https-expired", "expired", (), _ngx("leaf-expired", OK_200), kind="nginx"),
    Case("wrong-host", "https-wrong-host", "hostname-mismatch", (),
         _ngx("leaf-wrong-host", OK_200), kind="nginx"),
    Case("no-shared-cipher", "ftps-legacy-ciphers", "no-shared-cipher", ("no-shared-cipher",),
         _ngx("leaf-valid", "ssl_protocols TLSv1.2;", "ssl_ciphers PSK-AES128-CBC-SHA;", OK_200),
         kind="nginx"),
    # A plain HTTP listener where the client expects TLS (https-port-taken).
    Case("plain-http", "https-port-taken", "not-tls", ("plaintext",),
         ["listen 127.0.0.1:@PORT@;", OK_200], kind="nginx"),
    # 444: nginx closes the connection without an answer, after the handshake.
    Case("no-response", "https-split-record-intolerant", "incomplete-response",
         ("no-http-answer",), _ngx("leaf-valid", "location / { return 444; }"), kind="nginx"),
]

def _vsftpd(cert, *lines, key=None):
    return [f"rsa_cert_file={_c(cert)}",
            f"rsa_private_key_file={_c(key or cert.replace('.chain.pem', '.key').replace('.pem', '.key'))}",
            *lines]


TLS_ON = ("ssl_enable=YES", "force_local_logins_ssl=YES", "force_local_data_ssl=YES")
# vsftpd 3.0.3 from Debian. No local account is made for it, so a login never
# succeeds: only failures before or at USER are reproduced here (ok and
# session reuse, which need a login, are not).
CASES += [
    Case("self-signed", "ftps-self-signed", "self-signed", (),
         _vsftpd("leaf-self-signed.pem", *TLS_ON), kind="vsftpd", protocol="ftps-explicit"),
    Case("implicit-self-signed", "ftps-implicit-self-signed", "self-signed", (),
         _vsftpd("leaf-self-signed.pem", *TLS_ON, "implicit_ssl=YES"), kind="vsftpd",
         protocol="ftps-implicit"),
    Case("private-ca", "ftps-private-ca", "untrusted-issuer", (),
         _vsftpd("leaf-private.pem", *TLS_ON), kind="vsftpd", protocol="ftps-explicit"),
    # ssl_ciphers sets only the TLS 1.2 list: TLS 1.3 is turned off by the
    # process's OpenSSL configuration (# max-tls1.2, see Vsftpd), as on the
    # seed's server, where vsftpd 3.0.5 offers TLS 1.2 only.
    Case("no-shared-cipher", "ftps-legacy-ciphers", "no-shared-cipher", ("no-shared-cipher",),
         _vsftpd("leaf-valid.chain.pem", *TLS_ON, "ssl_ciphers=PSK-AES128-CBC-SHA",
                 "# max-tls1.2"), kind="vsftpd", protocol="ftps-explicit"),
    Case("tls-required", "ftps-tls-required", "tls-required", ("ftp:plaintext-login-refused",),
         _vsftpd("leaf-valid.chain.pem", *TLS_ON), kind="vsftpd", protocol="ftps-explicit",
         plaintext=True),
    # ssl_enable=NO: AUTH TLS answered 530; s_client starts TLS anyway (not-tls)
    Case("auth-tls-refused", "ftps-auth-tls-refused", "auth-tls-refused", ("ftp:auth-refused",),
         _vsftpd("leaf-valid.chain.pem", "ssl_enable=NO"), kind="vsftpd",
         protocol="ftps-explicit", variants=(("openssl", "not-tls"),)),
]

VSFTPD_CONF = """# written by tlsfault_harness.refcorpus: one reference case, 127.0.0.1 only
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=@PORT@
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
pasv_enable=YES
pasv_address=127.0.0.1
seccomp_sandbox=NO
secure_chroot_dir=@DIR@/empty
xferlog_enable=NO
vsftpd_log_file=@DIR@/vsftpd.log
dual_log_enable=NO
syslog_enable=NO
@BODY@
"""

NGINX_CONF = """# written by tlsfault_harness.refcorpus: one reference case, 127.0.0.1 only,
# every file under this directory
@USER_LINE@
worker_processes 1;
daemon off;
master_process on;
pid @DIR@/nginx.pid;
error_log @DIR@/error.log warn;
events { worker_connections 64; }
http {
    access_log @DIR@/access.log;
    client_body_temp_path @DIR@/tmp/body;
    proxy_temp_path @DIR@/tmp/proxy;
    fastcgi_temp_path @DIR@/tmp/fastcgi;
    uwsgi_temp_path @DIR@/tmp/uwsgi;
    scgi_temp_path @DIR@/tmp/scgi;
    server {
        @BODY@
    }
}
"""

# Nothing listening: the reference is the kernel's refusal (RST to the SYN).
REFUSED = Case("refused", "", "refused", ("no-connection",), [])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Reference:
    """A reference server we start on 127.0.0.1 and stop by its PID, in the
    foreground, its output kept to say why it did not start."""
    name = ""
    stop_signal = signal.SIGTERM

    def start(self, argv, env=None):
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.why()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.name} did not listen: {self.why()}")
                time.sleep(0.05)

    def why(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-500:]

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, self.stop_signal)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class SServer(Reference):
    """openssl s_server -www."""
    name = "s_server"

    def __init__(self, args):
        self.port = free_port()
        self.start(["openssl", "s_server", "-accept", f"127.0.0.1:{self.port}", "-www",
                    "-quiet"] + args)


class Nginx(Reference):
    """nginx (Debian's nginx-light) with a private configuration and prefix
    under build/refcorpus/nginx; never the system service."""
    name = "nginx"
    stop_signal = signal.SIGQUIT  # to the master: a graceful stop of its worker too

    def __init__(self, body):
        import grp
        import pwd
        self.port = free_port()
        d = BUILD / "refcorpus" / "nginx"
        (d / "tmp").mkdir(parents=True, exist_ok=True)
        user_line = ""
        if os.geteuid() == 0:  # else nginx ignores `user`; either way: the current user
            user_line = (f"user {pwd.getpwuid(os.getuid()).pw_name} "
                         f"{grp.getgrgid(os.getgid()).gr_name};")
        conf = NGINX_CONF.replace("@USER_LINE@", user_line).replace("@DIR@", str(d)).replace(
            "@BODY@", "\n        ".join(body)).replace("@PORT@", str(self.port))
        (d / "nginx.conf").write_text(conf)
        self.start(["nginx", "-c", str(d / "nginx.conf"), "-p", str(d), "-e", "stderr"])


class Vsftpd(Reference):
    """vsftpd (background=NO) from a private configuration under
    build/refcorpus/vsftpd; never the system service (scripts/deps.sh keeps
    it off). Its session processes end with their connections."""
    name = "vsftpd"

    def __init__(self, lines):
        self.port = free_port()
        d = BUILD / "refcorpus" / "vsftpd"
        (d / "empty").mkdir(parents=True, exist_ok=True)
        os.chmod(d / "empty", 0o755)
        conf = VSFTPD_CONF.replace("@PORT@", str(self.port)).replace("@DIR@", str(d)).replace(
            "@BODY@", "\n".join(lines))
        (d / "vsftpd.conf").write_text(conf)
        env = dict(os.environ)
        if "# max-tls1.2" in lines:
            # vsftpd 3.0.3 has no TLS 1.3 switch: OpenSSL's own configuration
            (d / "openssl.cnf").write_text(
                "openssl_conf = default_modules\n[default_modules]\nssl_conf = ssl_module\n"
                "[ssl_module]\nsystem_default = tls\n[tls]\nMaxProtocol = TLSv1.2\n")
            env["OPENSSL_CONF"] = str(d / "openssl.cnf")
        self.start(["vsftpd", str(d / "vsftpd.conf")], env=env)


SERVERS = {"s_server": SServer, "nginx": Nginx, "vsftpd": Vsftpd}


def target(case, port):
    info = {"server": {"protocol": case.protocol, "client_auth": case.client_auth},
            "client": {"cert": case.client_cert} if case.client_cert else {},
            # the credentials the reproduced scenario's client sends
            "ftp": scenario_infos()[case.scenario].get("ftp")}
    if case.plaintext:
        info["client"]["plaintext"] = True
    return Target(case.scenario, case.protocol, "127.0.0.1", port, CERTS, info)


def _reference(case):
    if case.kind == "vsftpd":
        return "vsftpd " + " ".join(case.args)
    if case.kind == "nginx":
        return "nginx server { " + " ".join(case.args) + " }"
    return "openssl s_server " + " ".join(case.args)


def fixture_text(case, client, r):
    # whole: s_server -www's page puts the status line 10 KB before the end
    body = (r.out or "")[-MAX_OUTPUT:] + "\n" + (r.err or "")[-MAX_OUTPUT:]
    failure = dict(case.variants).get(client, case.failure)
    return (f"rc: {r.rc}\nfailure: {failure}\nserver: {','.join(case.server)}\n"
            f"scenario: {case.scenario}\nreference: {_reference(case)}\n"
            f"---\n{body}").replace(str(CERTS) + "/", "").replace(str(ROOT) + "/", "")


def capture_refused(clients, workdir, out=REF):
    """Every client and protocol against a loopback port nothing listens on."""
    n, port = 0, free_port()
    for name in clients:
        cl = CLIENTS[name]
        if not cl.installed():
            continue
        for proto in cl.protocols:
            if proto == "ftps-implicit":
                continue  # the same connect() as explicit
            # nothing listens: the credentials never leave the client
            info = {"server": {"protocol": proto, "client_auth": "none"},
                    "ftp": {"user": "refused", "password": "refused"}}
            r = cl.run(Target("refused", proto, "127.0.0.1", port, CERTS, info), "default",
                       workdir=workdir)
            d = out / name
            d.mkdir(parents=True, exist_ok=True)
            text = fixture_text(REFUSED, name, r).replace("reference: openssl s_server ",
                                                          "reference: nothing listening")
            (d / f"refused--{proto}.txt").write_text(text)
            n += 1
    return n


def capture(cases, clients, workdir, out=REF):
    n = 0
    for case in cases:
        with SERVERS[case.kind](case.args) as srv:
            for name in clients:
                cl = CLIENTS[name]
                if case.protocol not in cl.protocols or not cl.installed():
                    continue
                try:
                    r = cl.run(target(case, srv.port), "default", workdir=workdir)
                except NotApplicable:
                    continue
                d = out / name
                d.mkdir(parents=True, exist_ok=True)
                (d / f"{case.name}--{case.kind}.txt").write_text(fixture_text(case, name, r))
                n += 1
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default=",".join(CLIENTS))
    ap.add_argument("--cases", default="*")
    a = ap.parse_args(argv)
    cases = [c for c in CASES if any(fnmatch.fnmatch(c.name, g) for g in a.cases.split(","))]
    with tempfile.TemporaryDirectory(prefix="tlsfault-ref-") as tmp:
        clients = [c for c in a.clients.split(",") if c]
        n = capture(cases, clients, tmp)
        if any(fnmatch.fnmatch("refused", g) for g in a.cases.split(",")):
            n += capture_refused(clients, tmp)
    print(f"{n} reference fixtures written under {REF}")


if __name__ == "__main__":
    sys.exit(main())

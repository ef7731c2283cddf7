"""Run a real client process with trust given explicitly.

These machines export SSL_CERT_FILE, CURL_CA_BUNDLE and friends; a test that
inherited them would pass or fail for reasons outside the scenario, so every
client runs without them and is told its CA file on its command line."""
import os
import subprocess
import json
from dataclasses import dataclass

TRUST_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "REQUESTS_CA_BUNDLE",
             "NODE_EXTRA_CA_CERTS", "OPENSSL_CONF")


@dataclass
class Result:
    argv: list
    rc: int
    out: str
    err: str
    timed_out: bool = False
    client: str = ""      # which client module ran it
    profile: str = ""     # under which profile

    @property
    def text(self):
        return self.out + self.err

    @property
    def insecure(self):
        """Verification was off: a success here is not a secure one."""
        return self.profile == "verify-none"

    @property
    def data(self):
        """The last JSON line the client printed (the programs in
        harness/clients/ report that way), or {}."""
        for line in reversed(self.out.splitlines()):
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    return {}
        return {}

    def __repr__(self):
        return (f"Result({self.client}, {self.profile}, rc={self.rc}, "
                f"timed_out={self.timed_out}, argv={' '.join(self.argv)!r}, "
                f"out={self.out[-800:]!r}, err={self.err[-800:]!r})")


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in TRUST_ENV}
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


def run(argv, timeout=30, input=None, env=None, cwd=None):
    """Run argv to completion (or kill it at `timeout`) and capture output."""
    argv = [str(a) for a in argv]
    try:
        p = subprocess.run(argv, input=input, capture_output=True, timeout=timeout,
                           env=clean_env(env), cwd=cwd, text=True, errors="replace")
        return Result(argv, p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Result(argv, -9, out, err, timed_out=True)

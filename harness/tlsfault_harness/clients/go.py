"""Go's crypto/tls + net/http (clients/go_https_client.go, standard library
only), a TLS stack of its own: HTTPS and mTLS, no FTPS (Go's standard
library has no FTP client). Built once into build/go/ (named by the source's
hash; offline: GOPROXY=off, GOTOOLCHAIN=local, caches under build/go/).
Prints one JSON line (Result.data). crypto/tls offers the client
certificate only when its issuer is among the CertificateRequest's CA names,
as JSSE does."""
import hashlib
from pathlib import Path

from .. import paths
from . import process
from .base import Client, Command, checked, staged

SOURCE = paths.CLIENT_PROGRAMS / "go_https_client.go"


def build_go(build_dir):
    """go build the client into build/go/client-HASH/client."""
    root = Path(build_dir) / "go"
    out = root / f"client-{hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]}"
    if not (out / "client").exists():
        env = {"GOCACHE": str(root / "cache"), "GOPATH": str(root / "path"),
               "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "GOPROXY": "off",
               "HOME": str(root)}
        with staged(out) as tmp:
            checked(process.run(["go", "build", "-trimpath", "-o", tmp / "client", SOURCE],
                                timeout=600, env=env), "go build")
    return out / "client"


class Go(Client):
    name, family, binary = "go", "go", "go"
    traits = frozenset({"cert-by-ca-name", "tls10-off-by-default"})
    column = 10
    PROFILES = {"https": ("default", "verify-none", "legacy")}

    def command(self, t, profile="default", action=None, workdir=None):
        return Command([self.built(build_go),
                        *self.program_args(t, profile, self.fetch(action), "-")],
                       timeout=self.TIMEOUT)


CLIENT = Go()

"""Java 17 JSSE (HttpsURLConnection, harness/java/MtlsClient.java), the seed
002 gateway's own kind of client: a PKCS#12 keystore with the scenario's
client certificate, a truststore with the suite root only; the KeyManager is
the JDK default (SunX509). HTTPS only; prints one JSON line (Result.data)."""
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths
from . import process
from .base import Client, Command, Outcome, checked, staged

JAVA_SRC = paths.ROOT / "harness" / "java"
JAVA_MAIN = "MtlsClient"
P12_PASSWORD = "changeit"  # certs/certgen.c's PKCS#12 password
_JAVA_ALERT = re.compile(r"Received fatal alert: (\w+)")


@dataclass
class JavaBuild:
    classes: Path
    truststore: Path


def build_java(build_dir):
    """javac harness/java/*.java into build/java/ and make the truststore
    (PKCS#12, the suite root only) with keytool. The output directory is
    named by a hash of the sources and of ca.pem, built under a temporary
    name and renamed into place: sessions running side by side never see a
    half-built client, and an unchanged client is not rebuilt."""
    sources = sorted(JAVA_SRC.glob("*.java"))
    ca = Path(build_dir) / "certs" / "ca.pem"
    h = hashlib.sha256()
    for f in [*sources, ca]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    out = Path(build_dir) / "java" / f"client-{h.hexdigest()[:16]}"
    jc = JavaBuild(out, out / "truststore.p12")
    if (out / f"{JAVA_MAIN}.class").exists() and jc.truststore.exists():
        return jc
    with staged(out) as tmp:
        checked(process.run(["javac", "--release", "17", "-encoding", "UTF-8", "-Xlint:all",
                             "-Werror", "-d", tmp, *sources], timeout=120), "javac")
        checked(process.run(["keytool", "-importcert", "-noprompt", "-storetype", "PKCS12",
                             "-keystore", tmp / "truststore.p12", "-storepass", P12_PASSWORD,
                             "-alias", "tlsfault-root", "-file", ca], timeout=60), "keytool")
    return jc


class Java(Client):
    name, family, binary = "java", "jsse", "java"
    traits = frozenset({"cert-by-ca-name", "tls10-off-by-default"})
    column = 8
    weight = 5
    PROFILES = {"https": ("default",)}

    def command(self, t, profile="default", action=None, workdir=None):
        action = self.fetch(action)
        jc = self.built(build_java)
        argv = ["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", jc.classes, JAVA_MAIN,
                "--url", action.url(t.port),
                "--truststore", jc.truststore, "--truststore-password", P12_PASSWORD]
        if t.client_cert:
            argv += ["--keystore", t.certs / f"{t.client_cert}.p12",
                     "--keystore-password", P12_PASSWORD]
        return Command(argv, timeout=self.TIMEOUT)

    def outcome(self, r):
        d = r.data
        if not d:
            return Outcome.no_result(r)
        details = {"issuers": d.get("issuers"), "alias": d.get("alias")}
        if d["result"] == "ok":
            return Outcome(d["status"] == 200, d.get("body", ""), f"HTTP {d['status']}", None,
                           details, r)
        m = _JAVA_ALERT.search(d["message"] or "")
        return Outcome(False, "", f"{d['exception']}: {d['message']}",
                       m.group(1) if m else None, details, r)


CLIENT = Java()

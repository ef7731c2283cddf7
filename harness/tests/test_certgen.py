"""certs/certgen and certs/profiles.ini: the `hash` key decides the hash the
issuer signs a certificate with (sha256 by default), for RSA and ECDSA
issuers; a bad value is a file:line error and writes nothing."""
import subprocess

from tlsfault_harness import paths
from tlsfault_harness.clients import run

CERTGEN = paths.BUILD / "certgen"

PROFILES = """[root-ca]
kind = ca
subject = Test Root
{root_hash}
[ecc-ca]
kind = ca
key = ecc256
subject = Test ECC CA
issuer = root-ca

[leaf-default]
subject = localhost
issuer = root-ca

[leaf-sha1]
subject = localhost
issuer = root-ca
hash = sha1

[leaf-ecc-sha1]
subject = localhost
issuer = ecc-ca
hash = sha1
"""


def sig_alg(pem):
    r = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", str(pem)],
                       capture_output=True, text=True, timeout=20, check=True)
    return next(line.split(":", 1)[1].strip() for line in r.stdout.splitlines()
                if "Signature Algorithm:" in line)


def test_hash_key_sets_the_signature_algorithm(tmp_path):
    ini = tmp_path / "profiles.ini"
    ini.write_text(PROFILES.format(root_hash=""))
    out = tmp_path / "out"
    out.mkdir()  # as the Makefile makes it
    r = run([CERTGEN, ini, out], timeout=60)
    assert r.rc == 0, r.err
    assert sig_alg(out / "root-ca.pem") == "sha256WithRSAEncryption"
    assert sig_alg(out / "leaf-default.pem") == "sha256WithRSAEncryption"
    assert sig_alg(out / "leaf-sha1.pem") == "sha1WithRSAEncryption"
    assert sig_alg(out / "ecc-ca.pem") == "sha256WithRSAEncryption"  # signed by RSA root-ca
    assert sig_alg(out / "leaf-ecc-sha1.pem") == "ecdsa-with-SHA1"


def test_shipped_profiles_default_to_sha256():
    for pem in ("leaf-valid.pem", "intermediate-ca.pem", "root-ca.pem", "client-a.pem"):
        assert sig_alg(paths.CERTS / pem) == "sha256WithRSAEncryption", pem


def test_bad_hash_is_a_file_line_error(tmp_path):
    ini = tmp_path / "profiles.ini"
    ini.write_text(PROFILES.format(root_hash="hash = md5"))
    out = tmp_path / "out"
    out.mkdir()
    r = run([CERTGEN, ini, out], timeout=60)
    assert r.rc == 1, r
    assert r.err == f"{ini}:4: bad value for 'hash': 'md5'\n", r.err
    assert list(out.iterdir()) == []

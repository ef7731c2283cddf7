"""The named client profiles and what each means for an OpenSSL-based and a
GnuTLS-based client. The same profile means the same policy in every client.

HTTPS (issue 5):
  default        the client as Debian 12 ships it
  verify-none    no certificate check (seed 000's FTPSSSLVerifyNone workaround)
  legacy         allow TLS 1.0
  no-split       do not split the first CBC record
FTPS (seed 000, the CMS's FTPS delivery):
  default, verify-none
  rocky9         the seed's failure on Rocky Linux 9: crypto-policies DEFAULT
                 without RSA key exchange, no 3DES, TLS >= 1.2 (OpenSSL:
                 profiles/rocky9.cnf, which says where each line comes from;
                 GnuTLS: a priority)
  centos7        CentOS 7 defaults, AES128-SHA / DES-CBC3-SHA still offered
  cipher-aes128  the SSL_cipher_list=AES128 workaround, on top of rocky9
  auth-tls       the scenario's plaintext client told to use AUTH TLS
  policy-default, policy-legacy
                 crypto-policies' DEFAULT and LEGACY as generated for OpenSSL
                 (profiles/policy-*.cnf); OpenSSL clients only
Where a client cannot take OPENSSL_CONF's CipherString (Python and Perl set
their own list), its module passes the profile's list explicitly, read from
the same .cnf file (cnf_cipher_string)."""
import re

from .. import paths

PROFILE_DIR = paths.ROOT / "harness" / "profiles"
# The FTPS profiles with a policy in both stacks, then the OpenSSL-only ones.
FTP_POLICIES = ("default", "rocky9", "centos7", "cipher-aes128", "verify-none")
POLICY_PROFILES = ("policy-default", "policy-legacy")
FTP_PROFILES = ("default", "verify-none", "rocky9", "centos7", "cipher-aes128", "auth-tls")

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

# GnuTLS clients (lftp, wget, gnutls-cli on Debian): the same policies as
# priority strings.
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


def ftp_policy(profile):
    """The policy behind an FTPS profile: auth-tls is the default policy
    (it changes whether TLS is used, not how)."""
    return "default" if profile == "auth-tls" else profile


def cnf_cipher_string(name):
    """The CipherString a profile's .cnf sets (one source for every client)."""
    text = (PROFILE_DIR / name).read_text()
    m = re.search(r"^CipherString\s*=\s*(\S+)", text, re.M)
    return m.group(1)


def openssl_env(profile):
    """OPENSSL_CONF for a profile's policy, or None."""
    cnf, _ = OPENSSL_PROFILE[profile]
    return {"OPENSSL_CONF": str(PROFILE_DIR / cnf)} if cnf else None


def openssl_cipher_list(profile):
    """The explicit cipher list a client that replaces OpenSSL's own must
    set under `profile`, or None."""
    cnf, ciphers = OPENSSL_PROFILE[profile]
    return ciphers or (cnf_cipher_string(cnf) if cnf else None)


def gnutls_priority(profile):
    """The GnuTLS priority string of a profile (None: GnuTLS's default)."""
    if profile not in GNUTLS_PRIORITY:
        raise ValueError(f"profile {profile!r} has no GnuTLS priority string")
    return GNUTLS_PRIORITY[profile]

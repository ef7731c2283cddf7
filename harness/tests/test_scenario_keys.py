"""Scenario keys category, cause, fix, workaround and workaround_insecure
(issue 11): validated by `tlsfault validate` with file:line, shown by
`show` and `show --json`, and filled for every shipped scenario."""
import json

from tlsfault_harness import paths
from tlsfault_harness.clients import run

TLSFAULT = paths.SERVER
CATEGORIES = ["certificate", "chain", "revocation", "protocol", "cipher", "key-exchange",
              "extension", "mtls", "ftps", "deployment"]


def tlsfault(*args):
    return run([TLSFAULT, *args], cwd=paths.ROOT, timeout=20)


def listing():
    r = tlsfault("list", "--json")
    assert r.rc == 0, r.err
    return json.loads(r.out)


def test_list_json_names_the_categories():
    assert listing()["categories"] == CATEGORIES


def test_every_scenario_has_a_category_and_its_cause():
    for s in listing()["scenarios"]:
        sc, name = s["scenario"], s["scenario"]["name"]
        assert sc["category"] in CATEGORIES, name
        assert sc["cause"].strip(), name
        control = sc["cause"].startswith("Nothing: the control")
        # A control has nothing to fix; every failure has its fix.
        assert control == (not sc["fix"]), name
        if control:
            assert s["expect"]["class"] == "ok", name


def test_a_verify_none_expectation_is_labelled_insecure():
    seen = 0
    for s in listing()["scenarios"]:
        if "workaround.verify-none" in s["expect"]["variants"]:
            seen += 1
            assert s["scenario"]["workaround_insecure"].strip(), s["scenario"]["name"]
    assert seen >= 10


def test_seed_000_workarounds():
    """Seed 000 names two workarounds: weaker ciphers on the client (CentOS 7,
    the LEGACY policy, a cipher list) and FTPSSSLVerifyNone, the insecure one."""
    by = {s["scenario"]["name"]: s["scenario"] for s in listing()["scenarios"]}
    ciphers = by["ftps-legacy-ciphers"]
    assert ciphers["category"] == "cipher"
    for words in ("CentOS 7", "update-crypto-policies --set LEGACY", "curl --ciphers AES128-SHA",
                  "SSL_cipher_list=AES128"):
        assert words in " ".join(ciphers["workaround"].split()), words
    assert "ssl_ciphers=HIGH" in ciphers["fix"]
    assert ciphers["workaround_insecure"] == ""
    self_signed = by["ftps-self-signed"]
    assert "FTPSSSLVerifyNone 1" in self_signed["workaround_insecure"]
    assert "--insecure" in self_signed["workaround_insecure"]


def test_show_prints_the_keys_and_labels_the_insecure_workaround():
    r = tlsfault("show", "ftps-self-signed")
    assert r.rc == 0, r.err
    assert "\ncategory:  certificate\n" in r.out
    assert "\ncause:\n  The FTP server presents a self-signed certificate" in r.out
    assert "\nfix:\n  Install a certificate issued by a public CA" in r.out
    assert "\nworkaround:\n  Where the self-signed certificate" in r.out
    assert "\nINSECURE workaround (turns a TLS check off; only to confirm the diagnosis):\n" \
           "  Turn certificate verification off" in r.out
    r = tlsfault("show", "https-valid")
    assert "INSECURE" not in r.out and "\nfix:" not in r.out, r.out


def _copy(tmp_path, name, old, new):
    text = (paths.SCENARIOS / f"{name}.ini").read_bytes()
    assert old in text
    f = tmp_path / f"{name}.ini"
    f.write_bytes(text.replace(old, new))
    return f, text[:text.index(old)].count(b"\n") + 1


def test_validate_category_missing_or_unknown(tmp_path):
    f, line = _copy(tmp_path, "https-valid", b"category = certificate\n", b"category = cert\n")
    r = tlsfault("validate", f)
    assert r.rc == 1, r
    assert r.err.startswith(f"{f}:{line}: [scenario] category: bad value 'cert' (one of: "
                            + ", ".join(CATEGORIES) + ")\n"), r.err
    f, _ = _copy(tmp_path, "https-valid", b"category = certificate\n", b"")
    r = tlsfault("validate", f)
    last = f.read_bytes().count(b"\n")
    assert r.rc == 1 and r.err == f"{f}:{last}: missing required key [scenario] category\n", r


def test_validate_an_unlabelled_verify_none(tmp_path):
    text = (paths.SCENARIOS / "https-expired.ini").read_bytes()
    start = text.index(b"workaround_insecure = ")
    end = text.index(b"\n", start) + 1
    while text[end:end + 2] == b"  ":  # its continuation lines
        end = text.index(b"\n", end) + 1
    f = tmp_path / "https-expired.ini"
    f.write_bytes(text[:start] + text[end:])
    line = f.read_bytes().split(b"\n").index(b"workaround.verify-none = ok") + 1
    r = tlsfault("validate", f)
    assert r.rc == 1, r
    assert r.err == (f"{f}:{line}: [expect] workaround.verify-none needs [scenario] "
                     "workaround_insecure (the insecure workaround, in words)\n"), r.err

"""The classifier tables against real client output captured from passing
matrix cells (tests/classify/), and the tables' own sanity."""

import pytest

from tlsfault_harness.matrix.capture import FIXTURES, REF, parse_fixture, parse_header
from tlsfault_harness.matrix.classify import UNCLASSIFIED, classify, tables, witness
from tlsfault_harness.matrix.verdict import combine, grade_rows
from tlsfault_harness.clients import CLIENTS, vocabulary

FIXTURE_FILES = sorted(FIXTURES.glob("*/*.txt"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_classifies_as_reviewed(path):
    rc, want, text = parse_fixture(path.read_text())
    got, pattern = classify(path.parent.name, rc, text)
    assert got == want, pattern


def test_fixtures_exist_for_every_client():
    """Every client module of the matrix has captures (a new one too)."""
    assert {p.parent.name for p in FIXTURE_FILES} >= set(CLIENTS)


def test_every_claim_names_a_class_of_the_vocabulary_or_none():
    rules, claims = tables()
    classes = set(vocabulary())
    for client, rows in rules.items():
        for rule in rows:
            assert rule.says in claims, f"{client} row {rule.index}: {rule.says}"
    for says, cls in claims.items():
        assert cls == "" or cls in classes, says


def test_grade_rows_are_well_formed():
    _, claims = tables()
    classes = set(vocabulary())
    for row in grade_rows():
        assert row["expect"] in classes and row["says"] in claims, row
        assert row["grade"] in ("exact", "equivalent"), row
        # an equivalence is declared with a reason, and never without the
        # server's record unless the client's own words are a verify error
        if row["grade"] == "equivalent":
            assert row.get("reason"), row
            assert row["server"] != "*" or row["says"].startswith(("verify:", "tls:version",
                                                                   "version:")), row


def test_a_generic_alert_is_never_given_a_specific_cause():
    """'alert handshake failure' is what curl/OpenSSL say for any
    handshake_failure: alone it names no-shared-cipher for nobody."""
    for client, text in (
            ("curl", "curl: (35) OpenSSL/3.0.19: error:0A000410:SSL routines::sslv3 alert "
                     "handshake failure"),
            ("lftp", "ls: Fatal error: gnutls_handshake: A TLS fatal alert has been received.")):
        w = witness(client, 35 if client == "curl" else 1, text)
        assert w.cls != "no-shared-cipher"
        # ... and the no-shared-cipher expectation needs the server's record
        assert combine("no-shared-cipher", client, w.says, set())[0] is None
        assert combine("no-shared-cipher", client, w.says, {"no-client-cert"})[0] is None
        assert combine("no-shared-cipher", client, w.says, {"no-shared-cipher"})[0]["grade"] \
            == "equivalent"


def test_unknown_output_is_unclassified():
    assert classify("curl", 0, "something else entirely")[0] == UNCLASSIFIED
    assert classify("no-such-client", 0, "200")[0] == UNCLASSIFIED


def test_exit_code_is_part_of_a_rule():
    """curl's 'self-signed certificate' only counts with exit code 60."""
    text = "curl: (60) SSL certificate problem: self-signed certificate"
    assert classify("curl", 60, text)[0] == "verify:self-signed"
    assert classify("curl", 35, text)[0] == UNCLASSIFIED


def test_equivalences_are_per_client():
    assert combine("self-signed", "wget", "verify:untrusted-issuer", set())[0]["grade"] \
        == "equivalent"
    assert combine("self-signed", "curl", "verify:untrusted-issuer", set())[0] is None


# ---- the reference corpus: outputs captured against other servers ----------

from tlsfault_harness.matrix.refcheck import judge_ref  # noqa: E402

REF_FILES = sorted(REF.glob("*/*.txt"))


@pytest.mark.parametrize("path", REF_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_reference_capture_grades_right_from_raw_output(path):
    """Truth: how the reference server was configured (the header)."""
    right, says, why = judge_ref(path.parent.name, path.read_text())
    assert right, f"{says}: {why}"


def test_reference_corpus_covers_every_client():
    assert {p.parent.name for p in REF_FILES} >= set(CLIENTS)


def test_reference_truth_is_the_configuration_not_the_classifier():
    """Each header names what the server was made to do and how; nothing
    the classifier produced (no `says:` line)."""
    for p in REF_FILES:
        fields, _ = parse_header(p.read_text())
        assert {"failure", "server", "scenario", "reference"} <= set(fields), p
        assert "says" not in fields and "class" not in fields, p


# Rows that no captured output reaches yet, each with why no run of the
# matrix or of a Debian reference server produces that output. A row that
# gets a capture must leave this list (the test fails while it stays).
UNEXERCISED = {
    ("curl", "version:refused"): "Debian 12's OpenSSL accepts TLS 1.0 (exceptions.toml); "
                                 "the legacy profile connects",
    ("openssl", "version:refused"): "as curl",
    ("python", "version:refused"): "as curl",
    ("wget", "version:refused"): "GnuTLS 3.7 accepts TLS 1.0 (exceptions.toml)",
    ("gnutls-cli", "version:refused"): "as wget",
    ("chromium", "version:refused"): "ERR_SSL_OBSOLETE_VERSION: Chromium reports TLS 1.0 "
                                     "as ERR_SSL_VERSION_OR_CIPHER_MISMATCH here",
    ("node", "version:legacy-sigalg"): "node's bundled OpenSSL connects to the TLS 1.0 ECDHE "
                                       "reference",
    ("curl", "cipher:none-shared"): "a client that itself finds no suite: no scenario or "
                                    "reference makes one (servers answer handshake_failure)",
    ("openssl", "cipher:none-shared"): "as curl",
    ("python", "cipher:none-shared"): "as curl",
    ("wget", "cipher:none-shared"): "as curl",
    ("gnutls-cli", "cipher:none-shared"): "as curl",
    ("node", "cipher:none-shared"): "as curl",
    ("java", "cipher:none-shared"): "as curl",
    ("curl", "timeout"): "a hang is the fixture's bug; the robustness tests make one, not a "
                         "capture",
    ("python", "timeout"): "as curl",
    ("node", "timeout"): "as curl",
    ("java", "timeout"): "as curl",
    ("chromium", "timeout"): "as curl",
    ("wget", "alert:certificate_required(116)"): "wget words TLS 1.3's certificate_required "
                                                 "as a session invalidated (its own row)",
    ("wget", "alert:cert-rejected"): "wget says only 'A TLS fatal alert has been received' "
                                     "for a rejected client certificate",
    ("gnutls-cli", "http:no-response"): "gnutls-cli exits 1 when the server closes without "
                                        "close_notify (tls:truncated row)",
    ("lftp", "ftp:data-refused(522)"): "lftp resumes the control session: no 522",
    ("java", "verify:not-yet-valid"): "JSSE says 'validity check failed' for both dates "
                                      "(an equivalent of expired)",
}


def _exercised():
    hit = set()
    for corpus in (FIXTURES, REF):
        for p in corpus.glob("*/*.txt"):
            fields, body = parse_header(p.read_text())
            w = witness(p.parent.name, int(fields["rc"]), body)
            if w.rule:
                hit.add((w.rule.client, w.rule.index))
    return hit


def test_every_row_is_exercised_by_a_real_capture():
    rules, _ = tables()
    hit = _exercised()
    missing = {(c, r.says) for c, rows in rules.items() for r in rows
               if (c, r.index) not in hit}
    assert missing <= set(UNEXERCISED), sorted(missing - set(UNEXERCISED))
    stale = set(UNEXERCISED) - missing
    assert not stale, f"now exercised, remove from UNEXERCISED: {sorted(stale)}"

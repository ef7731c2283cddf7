"""The classifier tables against real client output captured from passing
matrix cells (tests/classify/), and the tables' own sanity."""

import pytest

from tlsfault_harness.matrix.capture import FIXTURES, parse_fixture
from tlsfault_harness.matrix.classify import UNCLASSIFIED, classify, same_as, tables
from tlsfault_harness.matrix.runner import vocabulary

FIXTURE_FILES = sorted(FIXTURES.glob("*/*.txt"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_classifies_as_reviewed(path):
    rc, want, text = parse_fixture(path.read_text())
    got, _ = classify(path.parent.name, rc, text)
    assert got == want


def test_fixtures_exist_for_every_client():
    assert {p.parent.name for p in FIXTURE_FILES} >= {
        "curl", "openssl", "python", "wget", "gnutls-cli", "node", "java", "chromium"}


def test_every_class_in_the_tables_is_in_the_vocabulary():
    rules, same = tables()
    classes = set(vocabulary())
    for client, rows in rules.items():
        for _, _, cls in rows:
            assert cls in classes, f"{client}: {cls}"
    for key, (cls, reason) in same.items():
        client, _, expected = key.partition(":")
        assert cls in classes and expected in classes and reason, key


def test_unknown_output_is_unclassified():
    assert classify("curl", 0, "something else entirely")[0] == UNCLASSIFIED
    assert classify("no-such-client", 0, "200")[0] == UNCLASSIFIED


def test_exit_code_is_part_of_a_rule():
    """curl's 'self-signed certificate' only counts with exit code 60."""
    text = "curl: (60) SSL certificate problem: self-signed certificate"
    assert classify("curl", 60, text)[0] == "self-signed"
    assert classify("curl", 35, text)[0] == UNCLASSIFIED


def test_same_report_table():
    assert same_as("wget", "self-signed")[0] == "untrusted-issuer"
    assert same_as("curl", "self-signed") is None

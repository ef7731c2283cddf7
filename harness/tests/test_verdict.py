"""The verdict logic on synthetic observations: each rule must be able to
turn a cell red (the events are what the server would have logged)."""
import pytest

from tlsfault_harness.clients import Result
from tlsfault_harness.matrix.cell import Cell
from tlsfault_harness.matrix.verdict import expectation, judge

SELF_SIGNED = {"scenario": {"summary": "Self-signed server certificate"},
               "server": {"protocol": "https", "client_auth": "none"},
               "expect": {"class": "self-signed", "alert": "unknown_ca",
                          "variants": {"workaround.verify-none": "ok"}}}
CURL_SELF_SIGNED = "curl: (60) SSL certificate problem: self-signed certificate"


def ev(handshake="failed", alert=None, request=None, sent=None):
    return {"handshake": handshake, "channel": "https",
            "alert_received": {"name": alert} if alert else None,
            "alert_sent": {"name": sent} if sent else None,
            "app": {"request_line": request, "http_status": 200 if request else None},
            "bytes_out": 100, "error": None}


def rec(rc, text, events, profile="default", client="curl"):
    return {"cell": Cell("https-self-signed", client, profile), "status": "ran",
            "result": Result(["x"], rc, "", text), "events": events}


def test_pass_needs_both_witnesses():
    v = judge(rec(60, CURL_SELF_SIGNED, [ev(alert="unknown_ca")]), SELF_SIGNED, "openssl")
    assert (v.status, v.got, v.says, v.problems) == ("exact", "self-signed",
                                                      "verify:self-signed", [])


def test_wrong_alert_turns_red():
    v = judge(rec(60, CURL_SELF_SIGNED, [ev(alert="bad_certificate")]), SELF_SIGNED, "openssl")
    assert v.status == "fail" and "scenario says unknown_ca" in v.problems[0]


def test_application_data_after_failed_verification_turns_red():
    v = judge(rec(60, CURL_SELF_SIGNED, [ev(alert="unknown_ca", request="GET / HTTP/1.1")]),
              SELF_SIGNED, "openssl")
    assert v.status == "fail" and "application data" in v.problems[0]


def test_no_event_turns_red():
    v = judge(rec(60, CURL_SELF_SIGNED, []), SELF_SIGNED, "openssl")
    assert v.status == "fail" and "no connection" in v.problems[0]


def test_client_that_accepts_is_the_headline():
    v = judge(rec(0, "200", [ev("ok", request="GET / HTTP/1.1")]), SELF_SIGNED, "openssl")
    assert v.status == "fail" and v.headline.startswith("CLIENT ACCEPTED")


def test_workaround_profile_expects_success():
    assert expectation(SELF_SIGNED, "curl", "verify-none") == "ok"
    v = judge(rec(0, "200", [ev("ok", request="GET / HTTP/1.1")], profile="verify-none"),
              SELF_SIGNED, "openssl")
    assert v.status == "exact"


def test_timeout_never_passes():
    r = rec(-9, "", [ev()])
    r["result"].timed_out = True
    v = judge(r, SELF_SIGNED, "openssl")
    assert (v.status, v.got) == ("timeout", "timeout") and v.red


def test_unclassified_never_passes():
    v = judge(rec(1, "???", [ev(alert="unknown_ca")]), SELF_SIGNED, "openssl")
    assert (v.status, v.got) == ("unclassified", "unclassified") and v.red


def test_client_variant_wins_over_class():
    info = {"expect": {"class": "ok", "variants": {"client.java": "peer-rejected-cert"}}}
    assert expectation(info, "java", "default") == "peer-rejected-cert"
    assert expectation(info, "curl", "default") == "ok"


# ---- fixture errors: never a pass, never a fail ----------------------------------

WORKER_DIED = {"id": 7, "scenario": "https-self-signed", "channel": "https", "peer": "127.0.0.1:1",
               "closed_by": "server", "error": "fixture error: the worker serving "
               "https-self-signed (pid 42) killed by signal 11 (SIGSEGV)",
               "fixture_error": {"kind": "connection", "worker_pid": 42, "signal": "SIGSEGV",
                                 "exit_status": None}}


def test_fixture_error_event_is_neither_pass_nor_fail():
    # The client's report matches the expectation: still not a pass.
    good = judge(rec(60, CURL_SELF_SIGNED, [ev(alert="unknown_ca"), WORKER_DIED]), SELF_SIGNED,
                 "openssl")
    # The client's report is wrong: still not a fail.
    bad = judge(rec(0, "200", [WORKER_DIED]), SELF_SIGNED, "openssl")
    for v in (good, bad):
        assert v.status == "fixture-error" and not v.red
        assert "SIGSEGV" in v.note and v.headline.startswith("fixture error")
    assert good.says == "verify:self-signed" and bad.says == "ok"  # still shown


def test_server_refusal_and_nothing_listening_are_fixture_errors():
    refused = dict(ev("none"), error="refused: connection limit (5) reached")
    v = judge(rec(35, "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL", [refused]),
              SELF_SIGNED, "openssl")
    assert v.status == "fixture-error" and "connection limit" in v.note
    r = rec(7, "curl: (7) Failed to connect to localhost port 1: Connection refused", [])
    r["fixture_error"] = "nothing listening on 127.0.0.1:1 (Connection refused)"
    v = judge(r, SELF_SIGNED, "openssl")
    assert v.status == "fixture-error" and "nothing listening" in v.note
    # Other server errors are the client's business as before.
    v = judge(rec(60, CURL_SELF_SIGNED, [dict(ev(alert="unknown_ca"), error="refused login")]),
              SELF_SIGNED, "openssl")
    assert v.status == "exact"


def test_fixture_error_counted_apart_in_reports(tmp_path):
    from xml.etree import ElementTree as ET
    from tlsfault_harness.matrix import report
    cells = [report.cell_record(r, judge(r, SELF_SIGNED, "openssl")) for r in (
        rec(60, CURL_SELF_SIGNED, [ev(alert="unknown_ca")]),
        rec(60, CURL_SELF_SIGNED, [WORKER_DIED], client="openssl"))]
    meta = report.write_all(cells, tmp_path)
    assert meta["counts"]["fixture-error"] == 1 and meta["counts"]["exact"] == 1
    assert meta["counts"]["fail"] == 0
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert (suite.get("errors"), suite.get("failures"), suite.get("skipped")) == ("1", "0", "0")
    assert "FIXTURE https-self-signed/openssl/default: fixture error" in report.terminal(cells)


# ---- the two witnesses combined (grades.toml) -------------------------------

NO_SHARED = {"scenario": {"summary": "No shared cipher"},
             "server": {"protocol": "https", "client_auth": "none"},
             "expect": {"class": "no-shared-cipher", "alert": "none", "variants": {}}}
CURL_HS_FAILURE = "curl: (35) OpenSSL/3.0.19: error:0A000410:SSL routines::sslv3 alert handshake failure"


def test_no_shared_cipher_needs_the_servers_record():
    suite = dict(ev(sent="handshake_failure"), error="handshake: can't match cipher suite (-501)")
    v = judge(rec(35, CURL_HS_FAILURE, [suite]), NO_SHARED, "openssl")
    assert (v.status, v.says) == ("equivalent", "alert:handshake_failure(40)") and v.note
    # the same client words for another cause: red
    other = dict(ev(sent="handshake_failure"), error="handshake: peer did not return a "
                 "certificate (-345)")
    v = judge(rec(35, CURL_HS_FAILURE, [other]), NO_SHARED, "openssl")
    assert v.status == "fail" and "recorded none of ['no-shared-cipher']" in v.problems[-1]


def test_every_grade_is_in_the_report(tmp_path):
    from tlsfault_harness.matrix import report
    meta = report.write_all([], tmp_path)
    for grade in ("exact", "equivalent", "known", "fail", "unclassified", "timeout",
                  "fixture-error"):
        assert f"0 {grade}" in meta["summary"]


def test_consistency_table_names_only_classes_and_known_facts():
    """Every class of consistency.toml is in the vocabulary, and every fact
    it names is one the server witness can produce (a typo would never
    match and so never turn anything red)."""
    import inspect
    from tlsfault_harness.matrix import witness
    from tlsfault_harness.clients import vocabulary
    from tlsfault_harness.matrix.verdict import consistency
    table = consistency()
    assert set(table["class"]) <= set(vocabulary())
    src = inspect.getsource(witness)
    for cls, rule in list(table["class"].items()) + [("default", table["default"])]:
        for key in ("forbid", "require", "ftps_forbid", "ftps_require"):
            for fact in rule.get(key, []):
                assert f'"{fact}"' in src, (cls, key, fact)
                kind = "forbid" if "forbid" in key else "require"
                assert fact in table["messages"][kind], (cls, fact)


def test_reset_needs_the_servers_record():
    reset_info = {"scenario": {"summary": "reset"}, "server": {"protocol": "https"},
                  "expect": {"class": "reset", "alert": "none", "variants": {}}}
    text = "curl: (35) Recv failure: Connection reset by peer"
    quiet = {"handshake": "none", "channel": "https", "bytes_out": 0,
             "error": "handshake: reset by the fault (SO_LINGER 0)"}
    assert judge(rec(35, text, [quiet]), reset_info, "openssl").status == "exact"
    chatty = dict(quiet, bytes_out=120)
    v = judge(rec(35, text, [chatty]), reset_info, "openssl")
    assert v.status == "fail" and "server sent bytes" in " ".join(v.problems)


def test_server_witness_mutation_turns_the_cell_red():
    from tlsfault_harness.matrix import mutants
    suite = dict(ev(sent="handshake_failure"), error="handshake: can't match cipher suite (-501)")
    r = rec(35, CURL_HS_FAILURE, [suite])
    r["cell"].scenario = "x"
    out = mutants.check_server([r], {"x": NO_SHARED}, {"curl": "openssl"})
    assert out["cells"] == 1 and out["mutants"] >= 2
    assert out["red"] == out["mutants"] and not out["survivors"]
    # a cell graded on the client's words alone rests on no cause
    r2 = rec(60, CURL_SELF_SIGNED, [ev(alert="unknown_ca")])
    r2["cell"].scenario = "y"
    out = mutants.check_server([r2], {"y": SELF_SIGNED}, {"curl": "openssl"})
    assert (out["cells"], out["independent"]) == (0, 1)


# ---- exceptions.toml: a row no judged cell needed is reported stale ----------
EKU = {"scenario": {"summary": "Leaf without serverAuth EKU"},
       "server": {"protocol": "https", "client_auth": "none"},
       "expect": {"class": "bad-purpose", "alert": "unsupported_certificate", "variants": {}}}
WGET_OK = "HTTP request sent, awaiting response... 200 OK"


def eku_cell(status="ran", client="wget", text=WGET_OK, rc=0):
    from tlsfault_harness.matrix import report
    r = {"cell": Cell("https-no-serverauth-eku", client, "default"), "status": status,
         "result": Result(["x"], rc, "", text),
         "events": [ev("ok", request="GET / HTTP/1.1", sent="close_notify")]}
    return report.cell_record(r, judge(r, EKU, "gnutls"))


def eku_row():
    from tlsfault_harness.matrix.verdict import known_deviations
    rows = [i for i, row in enumerate(known_deviations())
            if row["scenario"] == "https-no-serverauth-eku" and row["clients"] == ["wget"]]
    assert len(rows) == 1
    return rows[0]


def test_a_used_exception_row_is_not_stale():
    from tlsfault_harness.matrix.verdict import stale_exceptions
    cell = eku_cell()
    assert (cell["verdict"], cell["exception"]) == ("known", eku_row()), cell
    assert eku_row() not in [i for i, _ in stale_exceptions([cell])]


def test_an_exception_row_whose_cell_no_longer_deviates_is_stale():
    """wget fixed (it refuses the leaf): the row covered a judged cell and
    made nothing known."""
    from tlsfault_harness.matrix.verdict import stale_exceptions
    fixed = eku_cell(text="The certificate's owner does not match hostname", rc=5)
    assert fixed["verdict"] != "known" and fixed["exception"] is None, fixed
    assert [i for i, _ in stale_exceptions([fixed])] == [eku_row()]


def test_rows_whose_cells_did_not_run_are_not_stale():
    from tlsfault_harness.matrix.verdict import stale_exceptions
    assert stale_exceptions([]) == []
    skipped = eku_cell(status="not-installed")
    assert skipped["verdict"] == "not-installed"
    assert stale_exceptions([skipped]) == []
    # another client's cell of the same scenario is outside the wget row
    assert eku_row() not in [i for i, _ in stale_exceptions([eku_cell(client="curl")])]


def test_trait_rows_apply_to_clients_with_the_trait():
    info = {"name": "x", "expect": {"class": "ok", "variants": {
        "trait.cert-by-ca-name": "cert-required", "client.lftp": "peer-rejected-cert"}}}
    assert expectation(info, "go", "default") == "cert-required"
    assert expectation(info, "java", "default") == "cert-required"
    assert expectation(info, "curl", "default") == "ok"
    # a client's own row wins over its traits
    assert expectation(info, "lftp", "default") == "peer-rejected-cert"


def test_two_traits_expecting_different_classes_are_an_error():
    info = {"name": "x", "expect": {"class": "ok", "variants": {
        "trait.cert-by-ca-name": "cert-required", "trait.tls10-off-by-default": "protocol-version"}}}
    with pytest.raises(ValueError, match="traits of java"):
        expectation(info, "java", "default")


def test_every_trait_a_scenario_or_client_names_is_in_the_vocabulary():
    from tlsfault_harness.clients import CLIENTS, scenario_infos
    from tlsfault_harness.clients.base import TRAITS
    for c in CLIENTS.values():
        assert c.traits <= TRAITS.keys(), c.name
    for name, info in scenario_infos().items():
        for key in info["expect"].get("variants", {}):
            if key.startswith("trait."):
                assert key[len("trait."):] in TRAITS, f"{name}: {key}"

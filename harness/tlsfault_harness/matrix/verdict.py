"""A cell's verdict, witnessed twice: the client's classified report must
equal the scenario's expectation for that client and profile, and the
server's events for the cell's connections must agree with that report."""
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache

from ..paths import ROOT
from .classify import UNCLASSIFIED, classify, same_as

EXCEPTIONS = ROOT / "harness" / "exceptions.toml"
CERT_CLASSES = {
    "self-signed": {"unknown_ca", "bad_certificate", "certificate_unknown"},
    "untrusted-issuer": {"unknown_ca", "bad_certificate", "certificate_unknown"},
    "untrusted-root": {"unknown_ca", "bad_certificate", "certificate_unknown"},
    "expired": {"certificate_expired", "bad_certificate", "certificate_unknown"},
    "not-yet-valid": {"bad_certificate", "certificate_expired", "certificate_unknown"},
    "bad-purpose": {"unsupported_certificate", "bad_certificate", "certificate_unknown"},
    "hostname-mismatch": {"bad_certificate", "certificate_unknown"},
}
SERVER_REJECTS = {"bad_certificate", "unknown_ca", "certificate_expired",
                  "unsupported_certificate", "certificate_unknown", "handshake_failure",
                  "decrypt_error"}
# The only families whose alert for a certificate failure the scenario
# files name exactly (`[expect] alert`): OpenSSL's verify-error mapping.
EXACT_ALERT_FAMILIES = {"openssl"}


@dataclass
class Verdict:
    status: str            # pass | fail | known | fixture-error | not-installed | not-applicable
    expected: str = ""
    got: str = ""
    matched: str = None    # the classifier row that matched
    problems: list = field(default_factory=list)
    note: str = ""         # known deviation or same-report reason
    headline: str = ""     # the one line a reader must see

    @property
    def red(self):
        return self.status == "fail"


def expectation(info, client, profile):
    """The class a correct `client` reports under `profile`."""
    expect = info["expect"]
    variants = expect.get("variants", {})
    if f"client.{client}" in variants:
        return variants[f"client.{client}"]
    if profile != "default":
        for kind in ("profile", "workaround"):
            if f"{kind}.{profile}" in variants:
                return variants[f"{kind}.{profile}"]
    return expect["class"]


@lru_cache(maxsize=1)
def known_deviations():
    return tomllib.loads(EXCEPTIONS.read_text()).get("known", [])


def known_deviation(scenario, client, profile, expected, got):
    for row in known_deviations():
        if (row["scenario"] == scenario and client in row["clients"]
                and row.get("profile", "default") == profile and row["expected"] == expected
                and row["got"] == got):
            return row["reason"]
    return None


def _alert(ev, field_name):
    a = ev.get(field_name) or {}
    return a.get("name")


def _client_alerts(events):
    return {a for a in (_alert(e, "alert_received") for e in events) if a and a != "close_notify"}


TLS_FAILURES = set(CERT_CLASSES) | {"no-shared-cipher", "handshake-failure", "protocol-version",
                                     "bad-signature"}


def ftp_problems(cls, events):
    """FTP control-channel facts (events' `ftp` object) for FTP classes."""
    ftp = [e["ftp"] for e in events if e.get("channel") == "ftp-control" and e.get("ftp")]
    if not ftp:
        return ["no FTP control connection in the server's events"]
    if cls in TLS_FAILURES and any(f["pass_sent"] or f["user_sent"] for f in ftp):
        return ["credentials sent although TLS failed"]
    if cls == "tls-required" and not any(f["login"] == "refused" and f["user_plaintext"]
                                         for f in ftp):
        return ["server did not refuse a plaintext login"]
    if cls == "auth-tls-refused" and (any(f["user_sent"] for f in ftp) or not any(
            c["cmd"].startswith("AUTH") and c["replies"] and c["replies"][-1] >= 500
            for f in ftp for c in f["commands"])):
        return ["no refused AUTH, or USER sent after the refusal"]
    if cls == "session-reuse-required" and not any(f["data_reuse_refused"] for f in ftp):
        return ["server did not refuse a data connection for session reuse"]
    if cls == "ok" and not any(f["login"] == "ok" for f in ftp):
        return ["no successful login in the server's events"]
    return []


def event_problems(cls, events, info, family):
    """Where the server's events disagree with the class the client reported."""
    if cls in (UNCLASSIFIED, "timeout"):
        return []
    if not events:
        return ["the server logged no connection for this cell"]
    p = []
    if info["server"]["protocol"].startswith("ftps"):
        p += ftp_problems(cls, events)
        if cls in ("tls-required", "auth-tls-refused", "session-reuse-required"):
            return p
    hs = {e["handshake"] for e in events}
    app = [e for e in events if (e.get("app") or {}).get("request_line")]
    if cls != "ok" and app:
        p.append(f"application data after a failed check: {app[0]['app']['request_line']!r}")
    alerts = _client_alerts(events)
    if cls == "ok":
        if "ok" not in hs:
            p.append("no completed handshake in the server's events")
    elif cls in CERT_CLASSES:
        bad = alerts - CERT_CLASSES[cls]
        if bad:
            p.append(f"client sent {sorted(bad)}, not an alert for {cls}")
        want = info["expect"].get("alert", "none")
        if family in EXACT_ALERT_FAMILIES and want != "none" and alerts and alerts != {want}:
            p.append(f"OpenSSL-family client sent {sorted(alerts)}, scenario says {want}")
    elif cls == "reset":
        if hs != {"none"} or any(e.get("bytes_out") for e in events):
            p.append("server sent bytes although the client saw a reset")
        if not all("reset" in (e.get("error") or "") for e in events):
            p.append("event does not record a reset")
    elif cls == "handshake-failure":
        if "ok" in hs and not any(e.get("channel") == "plain" for e in events):
            p.append("server completed a handshake the client calls failed")
    elif cls == "not-tls":
        # a plaintext service, or an FTP control channel still in plaintext
        if any(e.get("channel") not in ("plain", "ftp-control") or e["handshake"] != "none"
               for e in events):
            p.append("a TLS listener answered although the client saw plaintext")
    elif cls == "bad-signature":
        if "ok" in hs or alerts - {"decrypt_error", "illegal_parameter", "handshake_failure"}:
            p.append(f"events {sorted(hs)} / alerts {sorted(alerts)} do not show a signature "
                     "rejection")
    elif cls == "protocol-version":
        if "ok" in hs or alerts - {"protocol_version"}:
            p.append(f"events {sorted(hs)} / alerts {sorted(alerts)} do not show a version refusal")
    elif cls == "incomplete-response":
        if "ok" not in hs or any((e.get("app") or {}).get("http_status") for e in events):
            p.append("server answered the request or never completed the handshake")
    elif cls in ("peer-rejected-cert", "cert-required", "no-shared-cipher"):
        sent = {_alert(e, "alert_sent") for e in events} - {None, "close_notify"}
        want = {"cert-required": {"certificate_required"},
                "no-shared-cipher": {"handshake_failure"}}.get(cls, SERVER_REJECTS)
        if not (sent & want or alerts & want):
            p.append(f"server sent {sorted(sent) or 'no alert'}, not one for {cls}")
    return p


# conn.c's refusals: the fixture's own limits, not anything the client did.
FIXTURE_REFUSALS = ("refused: connection limit", "refused: out of file descriptors")


def fixture_error(rec):
    """Why the fixture, not the client, decided this cell, or None: a
    "fixture_error" event (the scenario's worker died) after the cell's
    mark, a connection the server refused (its connection or descriptor
    limit), or nothing listening (the runner's `fixture_error`)."""
    if rec.get("fixture_error"):
        return rec["fixture_error"]
    for e in rec.get("events", []):
        if e.get("fixture_error"):
            return e.get("error") or "fixture error"
        if (e.get("error") or "").startswith(FIXTURE_REFUSALS):
            return f"the server {e['error']}"
    return None


def judge(rec, info, family, expected=None):
    """The verdict of one run cell record (see runner.Runner.run_cell)."""
    cell = rec["cell"]
    if rec["status"] in ("not-installed", "not-applicable"):
        return Verdict(rec["status"], note=rec.get("why", ""))
    res = rec["result"]
    expected = expected or expectation(info, cell.client, cell.profile)
    if res.timed_out:
        got, matched = "timeout", None
    else:
        got, matched = classify(cell.client, res.rc, res.text)
    broken = fixture_error(rec)
    if broken:
        # Neither pass nor fail: the client's report says nothing about
        # the client when the fixture itself failed under it.
        return Verdict("fixture-error", expected, got, matched, note=broken,
                       headline=f"fixture error, client not judged: {broken}")
    v = Verdict("pass", expected, got, matched)
    v.problems = event_problems(got, rec.get("events", []), info, family)
    same = same_as(cell.client, expected)
    if got != expected and same and same[0] == got:
        v.note = same[1]
    elif got != expected:
        reason = known_deviation(cell.scenario, cell.client, cell.profile, expected, got)
        if reason:
            v.status, v.note = "known", reason
        else:
            v.status = "fail"
    if v.problems and v.status == "pass":
        v.status = "fail"
    if got == UNCLASSIFIED:
        v.status = "fail"
    v.headline = headline(v, info, cell)
    return v


def headline(v, info, cell):
    if v.expected != "ok" and v.got == "ok":
        return (f"CLIENT ACCEPTED what it should refuse: {info['scenario']['summary']} "
                f"(expected {v.expected})")
    if v.got == UNCLASSIFIED:
        return "unclassified client output (add a classifier row if it is a correct report)"
    if v.got == "timeout":
        return "client hung: a timeout never counts as rejecting anything"
    if v.status == "fail" and v.got != v.expected:
        return f"reported {v.got}, expected {v.expected}"
    if v.problems:
        return "server event disagrees: " + "; ".join(v.problems)
    return ""

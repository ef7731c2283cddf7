"""The server witness: what tlsfault's own events say happened on a cell's
connections, as a set of facts ("no-shared-cipher", "no-client-cert",
"session-ok", "client-alert:unknown_ca"...). Each fact is read from fields
the event already records (servers/events.c); grades.toml names the facts a
verdict needs."""

# wolfSSL error codes in the event's "handshake: ... (N)" error text.
MATCH_SUITE_ERROR = "(-501)"   # no cipher suite in common
NO_PEER_CERT = "(-345)"        # the client sent no certificate
VERSION_ERRORS = ("(-326)", "(-412)")  # VERSION_ERROR, no common version
NO_SERVER_CERT = "no certificate configured"  # tlsctx.c: the scenario's fault
CERT_ALERTS = {"bad_certificate", "unknown_ca", "certificate_expired",
               "unsupported_certificate", "certificate_unknown", "certificate_revoked"}

# Every fact that names a cause: the server-witness mutation drops or swaps these.
CAUSES = ("no-shared-cipher", "no-server-cert", "no-client-cert", "client-cert-rejected",
          "version-refused", "reset", "plaintext", "no-http-answer", "session-ok",
          "ftp:plaintext-login-refused", "ftp:auth-refused", "ftp:data-reuse-refused")


def _alert(e, key):
    return (e.get(key) or {}).get("name")


def event_facts(e):
    """The facts one event records."""
    f = set()
    err = e.get("error") or ""
    hs = e.get("handshake")
    if hs:
        f.add(f"handshake-{hs}")
    for key, who in (("alert_received", "client"), ("alert_sent", "server")):
        name = _alert(e, key)
        if name and name != "close_notify":
            f.add(f"{who}-alert:{name}")
    if MATCH_SUITE_ERROR in err:
        f.add("no-shared-cipher")
    if err.startswith(NO_SERVER_CERT):
        f.add("no-server-cert")
    if any(code in err for code in VERSION_ERRORS) or _alert(e, "alert_sent") == "protocol_version":
        f.add("version-refused")
    cc = e.get("client_cert") or {}
    if NO_PEER_CERT in err or (cc.get("message") and cc.get("length") == 0):
        f.add("no-client-cert")
    if cc.get("presented") and not cc.get("verified") and _alert(e, "alert_sent") in CERT_ALERTS:
        f.add("client-cert-rejected")
    if "reset" in err and hs == "none" and not e.get("bytes_out"):
        f.add("reset")
    if e.get("channel") == "plain":
        f.add("plaintext")
    app = e.get("app") or {}
    if app.get("http_status"):
        f.add("http-answered")
    if app.get("request_line"):
        f.add("app-data")
    if e.get("bytes_out"):
        f.add("server-bytes")
    if e.get("channel") not in ("plain", "ftp-control") or hs not in (None, "none"):
        f.add("tls-answered")
    ftp = e.get("ftp") if e.get("channel") == "ftp-control" else None
    if ftp:
        f.add("ftp-control")
        if ftp.get("user_sent") or ftp.get("pass_sent"):
            f.add("ftp:credentials-sent")
        if ftp.get("login") == "refused" and ftp.get("user_plaintext"):
            f.add("ftp:plaintext-login-refused")
        if ftp.get("login") == "ok":
            f.add("ftp:login-ok")
        if not ftp.get("user_sent") and any(
                c["cmd"].startswith("AUTH") and c["replies"] and c["replies"][-1] >= 500
                for c in ftp.get("commands", [])):
            f.add("ftp:auth-refused")
        if ftp.get("data_reuse_refused"):
            f.add("ftp:data-reuse-refused")
    return f


def facts(events):
    """The facts of a cell: the union over its connections, plus the
    cell-level ones (a session that completed, a handshake never answered)."""
    f = set()
    for e in events:
        f |= event_facts(e)
    if not events:
        f.add("no-connection")
    ftp = any(e.get("channel") == "ftp-control" for e in events)
    if "handshake-ok" in f and ("ftp:login-ok" in f if ftp else "http-answered" in f):
        f.add("session-ok")
    if not ftp and "handshake-ok" in f and "http-answered" not in f:
        f.add("no-http-answer")
    if events and all("reset" in (e.get("error") or "") for e in events):
        f.add("reset-recorded")
    return f

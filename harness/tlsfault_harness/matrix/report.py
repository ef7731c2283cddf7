"""The matrix as a terminal table, matrix.json, junit.xml and a
self-contained index.html (each cell opens the client's output, the
server's events and, for Chromium, the screenshot)."""
import base64
import html
import json
import time
from pathlib import Path
from xml.etree import ElementTree as ET

from .verdict import RED

# Every grade (verdict.py), in the order reports count them.
SYMBOL = {"exact": "exact", "equivalent": "equiv", "known": "known", "fail": "FAIL",
          "unclassified": "UNCLASS", "timeout": "TIMEOUT", "fixture-error": "FIXTURE",
          "not-installed": "n/i", "not-applicable": "-"}
COLOR = {"exact": "#2e7d32", "equivalent": "#558b2f", "known": "#ef8f00", "fail": "#c62828",
         "unclassified": "#ad1457", "timeout": "#b71c1c", "fixture-error": "#6a1b9a",
         "not-installed": "#757575", "not-applicable": "#bdbdbd"}
NOTED = RED + ("known", "fixture-error")


def cell_record(rec, verdict):
    cell, res = rec["cell"], rec.get("result")
    return {
        "id": cell.id, "scenario": cell.scenario, "client": cell.client, "profile": cell.profile,
        "verdict": verdict.status, "expected": verdict.expected, "got": verdict.got,
        "says": verdict.says, "server_facts": verdict.server,
        "matched_rule": verdict.matched, "problems": verdict.problems, "note": verdict.note,
        "exception": verdict.exception,
        "headline": verdict.headline,
        "argv": res.argv if res else None, "exit_code": res.rc if res else None,
        "stdout": res.out if res else None, "stderr": res.err if res else None,
        "seconds": rec.get("seconds"), "events": rec.get("events", []),
        "screenshot": getattr(res, "screenshot", None) if res else None,
    }


def write_json(cells, path, meta):
    path.write_text(json.dumps({"meta": meta, "cells": cells}, indent=1, default=str))


def write_junit(cells, path):
    # A fixture error is junit's <error> (the test could not run), never a
    # failure or a skip.
    suite = ET.Element("testsuite", name="tlsfault-matrix", tests=str(len(cells)),
                       failures=str(sum(c["verdict"] in RED for c in cells)),
                       errors=str(sum(c["verdict"] == "fixture-error" for c in cells)),
                       skipped=str(sum(c["verdict"] in ("known", "not-installed",
                                                        "not-applicable") for c in cells)))
    for c in cells:
        tc = ET.SubElement(suite, "testcase", classname=c["scenario"],
                           name=f"{c['client']}/{c['profile']}", time=str(c["seconds"] or 0))
        if c["verdict"] in RED:
            f = ET.SubElement(tc, "failure", message=c["headline"] or c["verdict"])
            f.text = (f"{c['verdict']}: expected {c['expected']}, client says {c['says']}\n"
                      + "\n".join(c["problems"]))
        elif c["verdict"] == "fixture-error":
            ET.SubElement(tc, "error", message=c["headline"][:500]).text = c["note"]
        elif c["verdict"] not in ("exact", "equivalent"):
            ET.SubElement(tc, "skipped", message=f"{c['verdict']}: {c['note']}"[:500])
        out = ET.SubElement(tc, "system-out")
        out.text = (c["stdout"] or "")[-4000:] + (c["stderr"] or "")[-4000:]
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def _rows(cells):
    rows, clients = {}, []
    for c in cells:
        rows.setdefault((c["scenario"], c["profile"]), {})[c["client"]] = c
        if c["client"] not in clients:
            clients.append(c["client"])
    return rows, clients


def terminal(cells):
    rows, clients = _rows(cells)
    w = max(len(f"{s} [{p}]") for s, p in rows) + 2
    lines = ["".ljust(w) + "".join(c[:10].ljust(11) for c in clients)]
    for (s, p), by in sorted(rows.items()):
        label = s if p == "default" else f"{s} [{p}]"
        lines.append(label.ljust(w) + "".join(
            SYMBOL[by[c]["verdict"]].ljust(11) if c in by else "".ljust(11) for c in clients))
    notes = [c for c in cells if c["verdict"] in NOTED]
    if notes:
        lines.append("")
    for c in sorted(notes, key=lambda c: (c["verdict"], c["id"])):
        lines.append(f"{SYMBOL[c['verdict']].upper():7} {c['id']}: "
                     f"{c['headline'] or c['note'][:160]}")
    return "\n".join(lines)


def _screenshot(c):
    p = c.get("screenshot")
    if not p or not Path(p).exists():
        return ""
    data = base64.b64encode(Path(p).read_bytes()).decode()
    return f'<img alt="screenshot" src="data:image/png;base64,{data}" style="max-width:600px">'


def _details(c):
    e = html.escape
    parts = [f"<b>{e(c['id'])}</b>: {e(c['verdict'])} — expected <b>{e(c['expected'])}</b>, "
             f"client says <b>{e(c['says'] or '')}</b>, server recorded "
             f"<b>{e(', '.join(c['server_facts'] or []))}</b>"]
    for label in ("headline", "note"):
        if c[label]:
            parts.append(f"<p>{e(c[label])}</p>")
    if c["problems"]:
        parts.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in c["problems"]) + "</ul>")
    if c["argv"]:
        parts.append(f"<p>command: <code>{e(' '.join(map(str, c['argv'])))}</code> "
                     f"(exit {c['exit_code']})</p>")
        parts.append(f"<pre>{e((c['stdout'] or '')[-6000:])}\n{e((c['stderr'] or '')[-6000:])}"
                     "</pre>")
    parts.append("<p>server events:</p><pre>" +
                 e(json.dumps(c["events"], indent=1)[-8000:]) + "</pre>")
    parts.append(_screenshot(c))
    return "".join(parts)


def write_html(cells, path, meta):
    rows, clients = _rows(cells)
    e = html.escape
    out = ["<!doctype html><meta charset=utf-8><title>tlsfault matrix</title><style>",
           "body{font:14px sans-serif;margin:1em}table{border-collapse:collapse}",
           "td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top}",
           "td.c{color:#fff;text-align:center;cursor:pointer}",
           "pre{white-space:pre-wrap;background:#f6f6f6;padding:6px;max-height:30em;"
           "overflow:auto}details>summary{list-style:none}</style>",
           f"<h1>tlsfault matrix</h1><p>{e(meta['when'])} — {e(meta['summary'])}</p>",
           "".join(f"<p>stale exceptions.toml row {r['index'] + 1}: {e(str(r['scenario']))} "
                   f"({e(', '.join(r['clients']))}): its cells ran and none needed it</p>"
                   for r in meta.get("stale_exceptions", [])),
           "<table><tr><th>scenario [profile]</th><th>expects</th>" +
           "".join(f"<th>{e(c)}</th>" for c in clients) + "</tr>"]
    details = []
    for (s, p), by in sorted(rows.items()):
        first = next(iter(by.values()))
        out.append(f"<tr><td>{e(s)}{'' if p == 'default' else ' [' + e(p) + ']'}</td>"
                   f"<td>{e(first['expected'] or '')}</td>")
        for c in clients:
            cell = by.get(c)
            if not cell:
                out.append("<td></td>")
                continue
            anchor = "cell-" + cell["id"].replace("/", "-")
            out.append(f'<td class=c style="background:{COLOR[cell["verdict"]]}" '
                       f'title="{e(cell["says"] or cell["verdict"])}">'
                       f'<a style="color:#fff" href="#{anchor}">{e(SYMBOL[cell["verdict"]])}'
                       f'<br><small>{e(cell["says"] or "")}</small></a></td>')
            details.append(f'<details id="{anchor}"><summary>{e(cell["id"])} — '
                           f'{e(cell["verdict"])}</summary>{_details(cell)}</details>')
        out.append("</tr>")
    out.append("</table><h2>Cells</h2>")
    out += details
    path.write_text("\n".join(out))


def write_all(cells, outdir, extra_meta=None):
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    counts = {k: sum(c["verdict"] == k for c in cells) for k in SYMBOL}
    # Every grade is in the summary, zero or not: a report always shows them all.
    meta = {"when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "summary": ", ".join(f"{v} {k}" for k, v in counts.items()), "counts": counts}
    meta.update(extra_meta or {})
    write_json(cells, outdir / "matrix.json", meta)
    write_junit(cells, outdir / "junit.xml")
    write_html(cells, outdir / "index.html", meta)
    return meta

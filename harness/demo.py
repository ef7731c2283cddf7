#!/usr/bin/python3
"""`make demo`: serve every scenario on 127.0.0.1, print how to see each
failure, then narrate each connection as the server logs it. Ctrl-C stops
the server (by its PID) and exits cleanly."""
import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tlsfault_harness import paths  # noqa: E402
from tlsfault_harness.clients import scenario_infos  # noqa: E402
from tlsfault_harness.suite import ServerError, Suite  # noqa: E402


def try_command(info, port):
    cmd = info["scenario"].get("try") or ""
    return cmd.replace("{port}", str(port)).replace("{certs}", str(paths.CERTS))


def print_table(suite, infos):
    rows = sorted(suite.manifest.items())
    print(f"{'SCENARIO':34} {'PORT':>5}  SUMMARY")
    for name, where in rows:
        print(f"{name:34} {where['port']:>5}  {infos[name]['scenario']['summary']}")
    print("\nSee each failure (paste a line into another terminal):")
    for name, where in rows:
        print(f"  # {name}\n  {try_command(infos[name], where['port'])}")
    print(f"\nEvents: {suite.events_path}\nPress Ctrl-C to stop.\n", flush=True)


def narrate(ev):
    alert = ev.get("alert_received") or {}
    parts = [f"[{ev['scenario']}] #{ev['id']} {ev['peer']}", f"handshake={ev['handshake']}"]
    if ev.get("version"):
        parts.append(f"{ev['version']} {ev['cipher']}")
    if alert.get("name") and alert["name"] != "close_notify":
        parts.append(f"client alert {alert['name']}({alert['code']})")
    if ev.get("error"):
        parts.append(ev["error"])
    print("  " + "  ".join(parts), flush=True)


def start(args):
    workdir = paths.BUILD / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    for f in ("manifest.json", "events.jsonl"):
        (workdir / f).unlink(missing_ok=True)
    port_base = args.port_base
    while True:
        suite = Suite(workdir=workdir, port_base=port_base)
        try:
            return suite.start()
        except ServerError as e:
            if port_base is None and "already in use" in str(e):
                print("Some scenario port is taken; using ephemeral ports instead.")
                port_base = 0
                continue
            raise


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port-base", type=int, default=None,
                    help="first port (0 = ephemeral); default: each scenario's own port")
    args = ap.parse_args()
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    try:
        suite = start(args)
    except ServerError as e:
        print(f"demo: {e}", file=sys.stderr)
        return 1
    print_table(suite, scenario_infos())
    seen = 0
    while not stop:
        events = suite.events()
        for ev in events[seen:]:
            narrate(ev)
        seen = len(events)
        time.sleep(0.2)
    rc = suite.stop()
    print(f"\nStopped ({len(suite.events())} connections logged in {suite.events_path}).")
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

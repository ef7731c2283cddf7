"""Run cells in parallel: scenarios at once, the cells of one scenario one
after another, so each cell's server events are exactly the connections
its client made."""
import fnmatch
import socket
import subprocess
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .. import paths
from .adapters import ADAPTERS, NotApplicable
from .cell import Cell, Target

EVENT_WAIT = 5.0   # for the first event of a cell after its client exits
EVENT_SETTLE = 0.15  # for any further connection it made (Java retries, Chromium)


def _list_json(scenario_dir=paths.SCENARIOS):
    out = subprocess.run([paths.SERVER, "list", "--json", "--scenarios", scenario_dir],
                         cwd=paths.ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def scenario_infos(scenario_dir=paths.SCENARIOS):
    """Every scenario as `tlsfault list --json` gives it (one parser: C's)."""
    return {s["scenario"]["name"]: s for s in _list_json(scenario_dir)["scenarios"]}


def vocabulary():
    """The failure classes, from the server's own table."""
    return _list_json()["classes"]


def _matches(name, patterns):
    return not patterns or any(fnmatch.fnmatch(name, p) for p in patterns)


def named_profiles(info):
    """default plus every profile or workaround the scenario names."""
    out = ["default"]
    for key in info["expect"].get("variants", {}):
        kind, _, name = key.partition(".")
        if kind in ("profile", "workaround") and name not in out:
            out.append(name)
    return out


def plan(infos, scenarios=(), clients=(), protocols=()):
    """(cells to run, cells skipped with why)."""
    cells, skipped = [], []
    for name, info in sorted(infos.items()):
        proto = info["server"]["protocol"]
        if not _matches(name, scenarios) or not _matches(proto, protocols):
            continue
        for client, ad in ADAPTERS.items():
            if not _matches(client, clients) or proto not in ad.protocols:
                continue
            probe = Target(name, proto, "", 0, paths.CERTS, info)
            for profile in named_profiles(info):
                cell = Cell(name, client, profile)
                if profile not in ad.profiles_for(proto):
                    skipped.append((cell, f"{client} has no '{profile}' profile"))
                elif not ad.supports(probe, profile):
                    skipped.append((cell, f"{client} does not run {proto} scenarios with "
                                          f"client_auth={probe.client_auth}"))
                else:
                    cells.append(cell)
    return cells, skipped


class Runner:
    def __init__(self, suite, infos, workdir, jobs=4, progress=True):
        self.suite, self.infos, self.workdir = suite, infos, workdir
        self.jobs, self.progress = jobs, progress
        self._done = 0
        self._print_lock = threading.Lock()

    def target(self, scenario):
        info = self.infos[scenario]
        m = self.suite.manifest[scenario]
        return Target(scenario, info["server"]["protocol"], m["host"], m["port"],
                      self.suite.certs, info)

    def run_cell(self, cell):
        ad = ADAPTERS[cell.client]
        rec = {"cell": cell}
        if not ad.installed():
            rec["status"] = "not-installed"
            return rec
        mark = self.suite.mark(cell.scenario)
        t0 = time.monotonic()
        try:
            rec["result"] = ad.run(self.target(cell.scenario), cell.profile, self.workdir)
            rec["status"] = "ran"
        except NotApplicable as e:
            rec["status"], rec["why"] = "not-applicable", str(e)
            return rec
        rec["seconds"] = round(time.monotonic() - t0, 3)
        rec["events"] = self._events(cell.scenario, mark)
        if not rec["events"]:
            why = self._not_serving(cell.scenario)
            if why:
                rec["fixture_error"] = why
        return rec

    def _events(self, scenario, mark):
        try:
            self.suite.events_after(scenario, mark, 1, EVENT_WAIT)
        except AssertionError:
            return []
        time.sleep(EVENT_SETTLE)
        return self.suite.events(scenario)[mark:]

    def _not_serving(self, scenario):
        """A cell with no server event: was anything serving it? Checked
        only then: the probe is a connection of its own, waited for so that
        its event is not taken for the next cell's."""
        if not self.suite.alive():
            return "the tlsfault server exited"
        t = self.target(scenario)
        mark = self.suite.mark(scenario)
        try:
            socket.create_connection((t.host, t.port), timeout=EVENT_WAIT).close()
        except OSError as e:
            return f"nothing listening on {t.host}:{t.port} ({e.strerror or e})"
        try:
            self.suite.events_after(scenario, mark, 1, EVENT_WAIT)
        except AssertionError:
            return f"the server logged no event for a probe connection to {t.host}:{t.port}"
        return None

    def _tick(self, total, rec):
        if not self.progress:
            return
        with self._print_lock:
            self._done += 1
            sys.stderr.write(f"\r[{self._done}/{total}] {rec['cell'].id:70.70}")
            sys.stderr.flush()

    def run(self, cells):
        """Each scenario is one task running its cells in order; the
        slowest (browser and JVM cells) start first."""
        by_scenario = {}
        for i, cell in enumerate(cells):
            by_scenario.setdefault(cell.scenario, []).append((i, cell))
        slow = {"chromium": 10, "java": 5}
        tasks = sorted(by_scenario.values(),
                       key=lambda t: -sum(slow.get(c.client, 1) for _, c in t))

        def one_scenario(task):
            out = []
            for i, cell in task:
                rec = self.run_cell(cell)
                self._tick(len(cells), rec)
                out.append((i, rec))
            return out
        recs = [None] * len(cells)
        with ThreadPoolExecutor(self.jobs) as pool:
            for done in pool.map(one_scenario, tasks):
                for i, rec in done:
                    recs[i] = rec
        if self.progress:
            sys.stderr.write("\n")
        return recs

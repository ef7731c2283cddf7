"""Start `tlsfault serve` on ephemeral 127.0.0.1 ports and read its events.

The server writes a manifest once every listener is up and one JSON line per
finished connection; tests take a mark before running a client and then wait
for the event logged after that mark. Each scenario is served by a worker
process (its pid is in the manifest, rewritten when a worker is restarted);
a worker's death is logged as "fixture_error" events."""
import json
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from . import paths

START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


class ServerError(RuntimeError):
    pass


class Suite:
    host = "127.0.0.1"

    def __init__(self, scenarios=None, workdir=None, server=paths.SERVER, certs=paths.CERTS,
                 scenario_dir=paths.SCENARIOS, bind=None, port_base=0):
        self._own_tmp = None
        if workdir is None:
            self._own_tmp = tempfile.TemporaryDirectory(prefix="tlsfault-")
            workdir = self._own_tmp.name
        self.workdir = Path(workdir)
        self.certs = Path(certs)
        self.build = Path(server).parent
        self.data_dir = self.workdir / "data"
        self.manifest_path = self.workdir / "manifest.json"
        self.events_path = self.workdir / "events.jsonl"
        self.log_path = self.workdir / "server.log"
        self.scenarios = scenarios
        self.bind = bind
        self.port_base = port_base  # None: each scenario's own port
        self._server = Path(server)
        self.scenario_dir = Path(scenario_dir)
        self._proc = None
        self._manifest = {}
        self._events = []
        self._events_pos = 0
        self._partial = b""
        self._events_lock = threading.Lock()  # the matrix reads from many threads

    # ---- lifecycle -------------------------------------------------------
    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [str(self._server), "serve", "--manifest", str(self.manifest_path), "--events", str(self.events_path),
                "--data", str(self.data_dir), "--scenarios", str(self.scenario_dir),
                "--certs", str(self.certs)]
        if self.port_base is not None:
            argv += ["--port-base", str(self.port_base)]
        if self.bind:
            argv += ["--bind", self.bind]
        argv += list(self.scenarios) if self.scenarios else ["--all"]
        self._log = open(self.log_path, "wb")
        self._proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.manifest_path.exists():
            if self._proc.poll() is not None:
                raise ServerError(f"tlsfault exited {self._proc.returncode}: {self.server_log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ServerError(f"no manifest after {START_TIMEOUT}s: {self.server_log()}")
            time.sleep(0.02)
        self._manifest = json.loads(self.manifest_path.read_text())
        return self

    def stop(self):
        """SIGTERM our own server by PID; returns its exit status."""
        if not self._proc:
            return None
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._log.close()
        rc = self._proc.returncode
        self._proc = None
        return rc

    def close(self):
        self.stop()
        if self._own_tmp:
            self._own_tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def server_log(self):
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # ---- ports -----------------------------------------------------------
    @property
    def manifest(self):
        return dict(self._manifest)

    def port(self, scenario):
        return self._manifest[scenario]["port"]

    def worker_pid(self, scenario):
        """The pid of the worker serving `scenario` now (the manifest is
        rewritten atomically when a worker is restarted)."""
        self._manifest = json.loads(self.manifest_path.read_text())
        return self._manifest[scenario]["pid"]

    @property
    def pid(self):
        """The supervisor's pid (None when not running)."""
        return self._proc.pid if self._proc else None

    def alive(self):
        return self._proc is not None and self._proc.poll() is None

    def fixture_errors(self, scenario=None):
        return [e for e in self.events(scenario) if e.get("fixture_error")]

    # ---- events ----------------------------------------------------------
    def _read_events(self):
        with self._events_lock:
            self._read_events_locked()

    def _read_events_locked(self):
        try:
            with open(self.events_path, "rb") as f:
                f.seek(self._events_pos)
                chunk = f.read()
        except FileNotFoundError:
            return
        self._events_pos += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if line.strip():
                self._events.append(json.loads(line))

    def events(self, scenario=None):
        self._read_events()
        with self._events_lock:
            return [e for e in self._events
                    if scenario is None or e.get("scenario") == scenario]

    def mark(self, scenario):
        """How many events `scenario` has logged so far."""
        return len(self.events(scenario))

    def events_after(self, scenario, mark, n=1, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            got = self.events(scenario)[mark:]
            if len(got) >= n:
                return got[:n] if n else got
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{scenario}: expected {n} event(s) after mark {mark}, got {len(got)}")
            time.sleep(0.02)

    def event_after(self, scenario, mark, timeout=5.0):
        return self.events_after(scenario, mark, 1, timeout)[0]

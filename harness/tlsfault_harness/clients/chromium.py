"""Headless Chromium driven over the DevTools pipe (clients/chromium_cdp.py)
with a private NSS database that trusts only the suite's CA (Chromium on
Linux reads trust from NSS, not from PEM files). Reports the navigation's
net::ERR_* code and keeps a screenshot for the report (Result.screenshot).
HTTPS scenarios without client authentication only: a client certificate
would have to be imported and auto-selected by policy."""
import hashlib
import tempfile
import threading
from pathlib import Path

from .. import paths
from . import process
from .base import Client, Command, NotApplicable

CDP_DRIVER = paths.CLIENT_PROGRAMS / "chromium_cdp.py"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable",
         "--window-size=1000,700"]


def _make_nssdb(db, ca):
    db.mkdir(parents=True, exist_ok=True)
    r = process.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"])
    r2 = process.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "tlsfault-test-root",
                      "-t", "C,,", "-i", ca])
    if r.rc or r2.rc:
        raise RuntimeError(f"certutil failed: {r.err} {r2.err}")


class Chromium(Client):
    name, family, binary = "chromium", "boringssl", "chromium"
    traits = frozenset({"tls10-off-by-default"})
    column = 9
    weight = 10
    _home_lock = threading.Lock()  # scenarios run in parallel threads

    def check(self, t, profile="default", tls=None):
        super().check(t, profile, tls)
        if t.client_auth != "none":
            raise NotApplicable(f"chromium does not run {t.protocol} scenarios with "
                                f"client_auth={t.client_auth}")

    def _home(self, t, workdir):
        # Named by the CA's hash: certs are remade at every build, and a
        # database that still trusts the previous root fails every cell.
        digest = hashlib.sha256(Path(t.ca).read_bytes()).hexdigest()[:16]
        home = Path(workdir) / f"chromium-home-{digest}"
        db = home / ".pki" / "nssdb"
        with self._home_lock:
            if not (db / "cert9.db").exists():
                _make_nssdb(db, t.ca)
        return home

    def command(self, t, profile="default", action=None, workdir=None, png=None,
                profile_dir=None):
        action = self.fetch(action, body=False)
        flags = FLAGS + [f"--user-data-dir={profile_dir}"]
        if profile == "verify-none":
            flags.append("--ignore-certificate-errors")
        return Command(["/usr/bin/python3", CDP_DRIVER, action.url(t.port), png, *flags],
                       env={"HOME": str(self._home(t, workdir))}, timeout=60)

    def run(self, t, profile="default", action=None, workdir=None, **opts):
        self.check(t, profile)
        shots = Path(workdir) / "screens"
        shots.mkdir(exist_ok=True)
        png = shots / f"{t.scenario}-{profile}.png"
        with tempfile.TemporaryDirectory(prefix="chromium-", dir=workdir) as profile_dir:
            r = self._exec(self.command(t, profile, action, workdir=workdir, png=png,
                                        profile_dir=profile_dir), profile)
        r.screenshot = str(png) if png.exists() else None
        return r


CLIENT = Chromium()

"""Drive headless Chromium over the DevTools protocol on a pipe (no
WebSocket library needed): open the URL, report the navigation's net error
(or the page text) as one JSON line, and save a screenshot of whatever
Chromium shows, its certificate error interstitial included.

    chromium_cdp.py URL SCREENSHOT.png [chromium flags...]

`--screenshot` alone cannot do this: headless Chromium refuses to capture
a page whose load failed."""
import base64
import json
import os
import subprocess
import sys
import time

LOAD_WAIT = 10.0


class Pipe:
    """CDP over --remote-debugging-pipe: JSON messages ended by NUL,
    written to the browser's fd 3 and read from its fd 4."""

    def __init__(self, argv, env):
        to_r, self._w = os.pipe()
        self._r, from_w = os.pipe()
        def to_fds_3_and_4():
            # via fresh duplicates, so neither dup2 clobbers the other's source
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        # close_fds=False: fds 3 and 4 are made after subprocess would close
        # fds; everything else Python opened is close-on-exec anyway.
        self.proc = subprocess.Popen(argv + ["--remote-debugging-pipe"], env=env,
                                     close_fds=False, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=to_fds_3_and_4)
        os.close(to_r)
        os.close(from_w)
        self._buf, self._id, self.events = b"", 0, []

    def send(self, method, params=None, session=None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        return self._id

    def _next(self, deadline):
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._r, 65536)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=15.0):
        want = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._next(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def wait_event(self, name, timeout):
        deadline = time.monotonic() + timeout
        if any(e.get("method") == name for e in self.events):
            return True
        try:
            while True:
                msg = self._next(deadline)
                self.events.append(msg)
                if msg.get("method") == name:
                    return True
        except TimeoutError:
            return False


def main():
    url, png, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    cdp = Pipe(["chromium", *flags, "about:blank"], os.environ.copy())
    out = {"url": url}
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        cdp.call("Page.enable", session=sid)
        nav = cdp.call("Page.navigate", {"url": url}, session=sid, timeout=30)
        out["net_error"] = nav.get("errorText") or None
        cdp.wait_event("Page.loadEventFired", LOAD_WAIT)
        text = cdp.call("Runtime.evaluate", {"expression": "document.body ? "
                                             "document.body.innerText : ''"}, session=sid)
        out["text"] = (text.get("result", {}).get("value") or "")[:2000]
        shot = cdp.call("Page.captureScreenshot", {"format": "png"}, session=sid, timeout=30)
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        out["screenshot"] = png
        cdp.call("Browser.close", timeout=5)
    except (TimeoutError, EOFError, RuntimeError) as e:
        out["harness_error"] = str(e)
    finally:
        try:
            cdp.proc.wait(5)
        except subprocess.TimeoutExpired:
            cdp.proc.kill()
            cdp.proc.wait()
    print(json.dumps(out))
    return 0 if not out.get("net_error") and "harness_error" not in out else 1


if __name__ == "__main__":
    sys.exit(main())

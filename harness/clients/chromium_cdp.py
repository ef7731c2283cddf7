"""Drive headless Chromium over the DevTools protocol on a pipe (no
WebSocket library needed): open the URL, report the navigation's net error
(or the page text) as one JSON line, and save a screenshot of whatever
Chromium shows, its certificate error interstitial included.

    chromium_cdp.py URL SCREENSHOT.png [chromium flags...]

`--screenshot` alone cannot do this: headless Chromium refuses to capture
a page whose load failed.

A navigation that committed can still fail: a document cut short after its
headers is Network.loadingFailed of the navigation's request
(net::ERR_CONTENT_LENGTH_MISMATCH), reported as the net error too.

Every wait is bounded by one overall BUDGET, well under the 60 s the harness
gives this process (tlsfault_harness/clients/chromium.py): the harness must
hear Chromium's report, never kill a driver that is still waiting."""
import base64
import json
import os
import select
import subprocess
import sys
import time

BUDGET = 40.0     # every CDP call and wait, from the start
LOAD_WAIT = 10.0  # for the load event, or the document's loadingFailed
EXIT_WAIT = 5.0   # for Chromium to exit after Browser.close, then kill


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
        self.deadline = time.monotonic() + BUDGET

    def _until(self, timeout):
        return min(time.monotonic() + timeout, self.deadline)

    def send(self, method, params=None, session=None):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        return self._id

    def _next(self, deadline):
        while b"\0" not in self._buf:
            # select first: a bare read would block past any deadline
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._r, 65536)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None, timeout=15.0):
        want = self.send(method, params, session)
        deadline = self._until(timeout)
        while True:
            try:
                msg = self._next(deadline)
            except TimeoutError:
                raise TimeoutError(f"{method}: no answer from Chromium") from None
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg)

    def wait_event(self, match, timeout):
        """The first event (already read or still to come) for which
        match(event) is true, or None after `timeout`."""
        deadline = self._until(timeout)
        for e in self.events:
            if match(e):
                return e
        try:
            while True:
                msg = self._next(deadline)
                self.events.append(msg)
                if match(msg):
                    return msg
        except TimeoutError:
            return None


def document_failed(loader):
    """Matches Network.loadingFailed of the navigation's own request (its
    requestId is the loaderId), not of a subresource such as the favicon."""
    return lambda e: (e.get("method") == "Network.loadingFailed"
                      and e["params"].get("requestId") == loader)


def main():
    url, png, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    cdp = Pipe(["chromium", *flags, "about:blank"], os.environ.copy())
    out, failed = {"url": url}, None
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = cdp.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        cdp.call("Page.enable", session=sid)
        cdp.call("Network.enable", session=sid)
        nav = cdp.call("Page.navigate", {"url": url}, session=sid, timeout=30)
        out["net_error"] = nav.get("errorText") or None
        failed = document_failed(nav.get("loaderId"))
        cdp.wait_event(lambda e: e.get("method") == "Page.loadEventFired" or failed(e),
                       LOAD_WAIT)
        text = cdp.call("Runtime.evaluate", {"expression": "document.body ? "
                                             "document.body.innerText : ''"}, session=sid)
        out["text"] = (text.get("result", {}).get("value") or "")[:2000]
        shot = cdp.call("Page.captureScreenshot", {"format": "png"}, session=sid)
        with open(png, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        out["screenshot"] = png
        cdp.call("Browser.close", timeout=5)
    except (TimeoutError, EOFError, RuntimeError) as e:
        out["harness_error"] = str(e)
    finally:
        try:
            cdp.proc.wait(EXIT_WAIT)
        except subprocess.TimeoutExpired:
            cdp.proc.kill()
            cdp.proc.wait()
    if failed and not out.get("net_error"):
        # the navigation committed, then its document failed to load
        cut = next((e for e in cdp.events if failed(e)), None)
        if cut:
            out["net_error"] = cut["params"].get("errorText") or None
    print(json.dumps(out))
    return 0 if not out.get("net_error") and "harness_error" not in out else 1


if __name__ == "__main__":
    sys.exit(main())

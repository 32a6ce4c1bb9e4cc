"""Open a local page in headless Chromium through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: no port, no extra Python package), collect console
messages, exceptions and network requests, evaluate JavaScript, take screenshots.

    with Browser(tmp_path) as b:
        page = b.open(path)             # waits for the load event
        page["console"], page["requests"]
        b.evaluate("document.title")
        b.screenshot(tmp_path / "top.png")
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _high(fd: int) -> int:
    import fcntl

    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
    os.close(fd)
    return new


class Browser:
    def __init__(self, workdir: Path, width: int = 1280, height: int = 900, timeout: float = 60):
        self.workdir, self.width, self.height, self.timeout = Path(workdir), width, height, timeout
        self.events: list[dict] = []
        self._id = 0
        self._buf = b""

    # ------------------------------------------------------------------ process
    def __enter__(self) -> Browser:
        exe = chromium()
        if exe is None:
            raise RuntimeError("no chromium")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # above 100 (bash redirects any fd), so "3<&a 4>&b" cannot overwrite one with the other
        to_chrome_r, from_chrome_w = (_high(fd) for fd in (to_chrome_r, from_chrome_w))
        profile = self.workdir / "chromium-profile"
        profile.mkdir(exist_ok=True)
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--no-default-browser-check",
                 "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                 f"--user-data-dir={profile}", "--remote-debugging-pipe",
                 f"--window-size={self.width},{self.height}", "about:blank"]
        # the browser reads commands on fd 3 and writes replies on fd 4
        shell = f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}'
        self.log = self.workdir / "chromium.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([shutil.which("bash") or "/bin/bash", "-c", shell, exe, *flags],
                                         pass_fds=(to_chrome_r, from_chrome_w),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": self.width, "height": self.height, "deviceScaleFactor": 1,
            "mobile": False}, session=True)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass

    # ------------------------------------------------------------------ protocol
    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chrome], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"chromium closed the pipe; its log ends:\n{tail}")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, *, session: bool = False) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        while True:
            ev = self._read(deadline)
            if ev.get("method") == method:
                return ev
            self.events.append(ev)

    # ------------------------------------------------------------------ page
    def open(self, path: Path) -> dict:
        """Load a file and wait for its load event; returns console messages (type,
        text), exceptions, log entries and the URLs requested."""
        self.events.clear()
        self.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=True)
        self.wait_for("Page.loadEventFired")
        self.evaluate("new Promise(r => requestAnimationFrame(() => r(1)))")
        console = [(e["params"]["type"], " ".join(str(a.get("value", a.get("description", "")))
                                                   for a in e["params"].get("args", [])))
                   for e in self.events if e.get("method") == "Runtime.consoleAPICalled"]
        errors = [e["params"]["exceptionDetails"].get("text", "")
                  for e in self.events if e.get("method") == "Runtime.exceptionThrown"]
        logs = [(e["params"]["entry"]["level"], e["params"]["entry"]["text"])
                for e in self.events if e.get("method") == "Log.entryAdded"]
        requests = [e["params"]["request"]["url"]
                    for e in self.events if e.get("method") == "Network.requestWillBeSent"]
        return {"console": console, "exceptions": errors, "log": logs, "requests": requests}

    def evaluate(self, expression: str):
        out = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True}, session=True)
        if "exceptionDetails" in out:
            raise RuntimeError(out["exceptionDetails"])
        return out["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict = {"format": "png"}
        if full_page:
            h = int(self.evaluate("document.documentElement.scrollHeight"))
            params |= {"captureBeyondViewport": True,
                       "clip": {"x": 0, "y": 0, "width": self.width, "height": h, "scale": 1}}
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)

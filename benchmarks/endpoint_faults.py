"""How long ``othink-bench run --backend openai`` takes against hostile servers (issue 28).

Two measurements through the real CLI, each against a local server on 127.0.0.1:

* **trickle, run to the end**: every chat answer is sent one byte per second (no socket read
  ever times out); with ``--timeout 3 --max-retries 2`` each sample must give up within its
  budget (3 s x 3 attempts), so the run ends with per-sample errors in about 9 s.
* **trickle / never, SIGTERM**: SIGTERM once requests are in flight; the time to exit, the exit
  code, the manifest status and whether the run lock is free afterwards.

Before issue 28 the trickle run took 431 s and a SIGTERM exit came 341 s (trickle) or 250 s
(never answers) after the signal.

Run: python benchmarks/endpoint_faults.py [--samples 8]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class Hostile:
    """``mode``: ``trickle`` (a byte a second) or ``never`` (no answer)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.posts = 0
        self.closing = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                raw = json.dumps({"data": [{"id": "m", "root": "/ckpt"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts += 1
                if outer.mode == "never":
                    outer.closing.wait(600)
                    return
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    while not outer.closing.wait(1.0):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                except OSError:
                    return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()


def start(url: str, out: Path, samples: int) -> subprocess.Popen[str]:
    cmd = [
        sys.executable, "-m", "othink_bench.cli", "run", "--backend", "openai",
        "--base-url", url, "--api-key", "k", "--model", "m", "--tasks", "vc-synth-tiny",
        "--limit", str(samples), "--out", str(out), "--timeout", "3", "--max-retries", "2",
        "--max-errors", "1", "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def lock_free(out: Path) -> bool:
    for lock in out.glob("*/.lock"):
        with lock.open("a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False
    return True


def status(out: Path) -> str:
    (manifest,) = out.glob("*/manifest.json")
    return str(json.loads(manifest.read_text())["status"])


def full_run(samples: int) -> dict[str, Any]:
    srv = Hostile("trickle")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "runs"
        t0 = time.monotonic()
        proc = start(srv.url, out, samples)
        proc.communicate(timeout=600)
        took = time.monotonic() - t0
        result = {"case": "trickle, to the end", "seconds": round(took, 2)}
        result.update(exit=proc.returncode, status=status(out), lock_free=lock_free(out))
    srv.close()
    return result


def sigterm(mode: str, samples: int) -> dict[str, Any]:
    srv = Hostile(mode)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "runs"
        proc = start(srv.url, out, samples)
        while srv.posts < min(samples, 8) and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(0.5)
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=600)
        took = time.monotonic() - sent
        result = {"case": f"{mode}, SIGTERM in flight", "seconds": round(took, 2)}
        result.update(exit=proc.returncode, status=status(out), lock_free=lock_free(out))
    srv.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args()
    rows = [full_run(args.samples), sigterm("trickle", args.samples), sigterm("never", 24)]
    for row in rows:
        print(json.dumps(row))


if __name__ == "__main__":
    main()

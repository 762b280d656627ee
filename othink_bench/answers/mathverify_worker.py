"""math_verify, run the way R1-V's GeoQA script runs it, in a worker process under a deadline.

Why a process: math_verify bounds its own calls with ``signal.alarm`` (its
``math_verify/utils.py``), which works only in a process's main thread, and the harness scores
in a writer thread; this project's policy allows no signal-based timeouts there (ANSWERS.md,
rules 6 and 14). So the calls run in a child process's main thread, with math_verify's own
default timeouts (5 s per parse and per comparison, as R1-V ran it), and the parent waits at
most ``deadline_s`` for each answer; a child that overruns it is killed and replaced, and the
sample's verdict is an error, never a silent 0 or 1.

What math_verify reads (checked in math-verify 0.9.0's ``parser.py``): LaTeX goes through
latex2sympy (a parser); plain expressions are first matched by a regex that admits only
digits, ``.``, spaces and ``+ - * × / ^ ( ) ÷`` before sympy's ``parse_expr`` reads them, so no
name of the model's text ever reaches Python code. The child holds nothing of the parent's.

Calls as R1-V's ``src/eval/test_qwen2vl_geoqa.py`` makes them (github.com/Deep-Agent/R1-V):
``answer = parse(output)``; correct when ``float(verify(answer, parse(ground_truth))) > 0``
(the model's answer in verify's first, "gold", position, as there); the recorded extraction
is ``str(answer[0])``, or none when ``parse`` found nothing.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import threading
from multiprocessing.connection import Connection
from typing import Any

#: The longest the parent waits for one (output, gold) pair: math_verify's own limits are 5 s
#: per parse (two parses) and 5 s per comparison, so a pair that runs past this is stuck.
DEFAULT_DEADLINE_S = 60.0


class MathVerifyUnavailable(RuntimeError):
    """math_verify is not installed; the message says how to install it."""


class MathVerifyTimeout(RuntimeError):
    """One pair ran past the deadline; the worker was replaced."""


def _serve(conn: Connection) -> None:  # pragma: no cover - runs in the child process
    try:
        from math_verify import parse, verify
    except ImportError as exc:
        conn.send(("unavailable", str(exc)))
        return
    conn.send(("ready", None))
    while True:
        try:
            output, gold = conn.recv()
        except EOFError:
            return
        try:
            answer = parse(output)
            correct = bool(answer is not None and float(verify(answer, parse(gold))) > 0)
            extracted = str(answer[0]) if answer else None
            conn.send(("ok", (extracted, correct)))
        except Exception as exc:  # R1-V's script would stop here; we report the sample
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class MathVerifyWorker:
    """One child process answering ``(output, gold)`` pairs; thread-safe, restarted on need."""

    def __init__(self, deadline_s: float = DEFAULT_DEADLINE_S) -> None:
        self.deadline_s = deadline_s
        self._lock = threading.Lock()
        self._proc: Any = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        ctx = mp.get_context("spawn")  # never fork a process that may hold torch's threads
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child,), daemon=True, name="math-verify")
        proc.start()
        child.close()
        if not parent.poll(self.deadline_s):
            proc.kill()
            proc.join(5)
            parent.close()
            raise MathVerifyTimeout(f"math_verify's worker did not start in {self.deadline_s} s")
        status, detail = parent.recv()
        if status != "ready":
            proc.join(5)
            raise MathVerifyUnavailable(
                f"math_verify cannot be imported ({detail}); install it with "
                "`pip install math-verify` (the math-verify-whole and r1v-legacy profiles need it)"
            )
        self._proc, self._conn = proc, parent
        return parent

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        self._proc = self._conn = None

    def check(self, output: str, gold: str) -> tuple[str | None, bool]:
        """``(str(parse(output)[0]) or None, verify(parse(output), parse(gold)) > 0)``.

        Raises :class:`MathVerifyTimeout` past the deadline, :class:`MathVerifyUnavailable`
        without math_verify, ``ValueError`` when math_verify itself raised."""
        with self._lock:
            conn = self._conn if self._conn is not None else self._start()
            try:
                conn.send((output, gold))
                ready = conn.poll(self.deadline_s)
                reply = conn.recv() if ready else None
            except (EOFError, OSError, BrokenPipeError) as exc:
                self._stop()
                raise MathVerifyTimeout(f"math_verify's worker died ({exc!r})") from None
            if reply is None:
                self._stop()
                raise MathVerifyTimeout(
                    f"math_verify took over {self.deadline_s:g} s on one output; its worker was "
                    "replaced"
                )
        status, value = reply
        if status == "error":
            raise ValueError(f"math_verify raised {value}")
        extracted, correct = value
        return extracted, bool(correct)


_SHARED: MathVerifyWorker | None = None


def shared_worker() -> MathVerifyWorker:
    """The process's one worker (started on first use, stopped at exit)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = MathVerifyWorker()
        atexit.register(_SHARED.close)
    return _SHARED

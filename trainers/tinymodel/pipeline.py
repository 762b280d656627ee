""":func:`make_tiny`: build, train, evaluate and write the tiny checkpoint with its card, and
swap the folder into place atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import shutil
import tempfile
import time
from pathlib import Path

from othink_bench.strict_json import dumps
from trainers.tinymodel.card import _ci, _fmt, render_card
from trainers.tinymodel.evaluate import _nat, constant_baseline, evaluate_folder
from trainers.tinymodel.recipe import MakeTinyOptions
from trainers.tinymodel.results import CARD_FILE, RESULT_FILE, MakeTinyResult, TaskResult
from trainers.tinymodel.selection import RULE, selection_callback
from trainers.tinymodel.targets import TASKS, targets_met
from trainers.tinymodel.train import build_training_data, save_trained, train_sft


def software_versions() -> dict[str, str]:
    import datasets
    import tokenizers
    import torch
    import transformers
    import trl

    from othink_bench import __version__

    return {
        "othink-bench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "datasets": datasets.__version__,
        "tokenizers": tokenizers.__version__,
        "machine": platform.machine(),
        "cpu_count": str(os.cpu_count()),
    }


def command_line(opts: MakeTinyOptions) -> str:
    """The exact ``othink-bench make-tiny`` command that reproduces ``opts``."""
    from othink_bench.models.tiny import BUNDLED_TINY_DIR

    defaults = MakeTinyOptions()
    parts = ["othink-bench make-tiny"]
    out = Path(opts.out) if opts.out is not None else BUNDLED_TINY_DIR
    if out.resolve() != BUNDLED_TINY_DIR.resolve():
        parts.append(f"--out {out}")
    flags = [
        ("seed", "--seed"), ("data_seed", "--data-seed"), ("steps", "--steps"),
        ("batch_size", "--batch-size"), ("learning_rate", "--lr"),
        ("lr_scheduler", "--lr-scheduler"), ("warmup_steps", "--warmup-steps"),
        ("counting_first", "--counting-first"), ("counting_pool", "--counting-pool"), ("geometry_pool", "--geometry-pool"),
        ("eval_limit", "--eval-limit"), ("val_limit", "--val-limit"),
        ("select_every", "--select-every"), ("select_from", "--select-from"),
        ("eval_batch_size", "--eval-batch-size"), ("max_new_tokens", "--max-new-tokens"),
        ("threads", "--threads"),
    ]
    for name, flag in flags:
        value = getattr(opts, name)
        if value != getattr(defaults, name):
            parts.append(f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    if abs(opts.counting_share - defaults.counting_share) > 1e-9:
        parts.append(f"--counting-share {opts.counting_share:g}")
    return " ".join(parts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_out(out: Path) -> None:
    from othink_bench.models.tiny import MARKER_FILE

    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out} is a file; make-tiny writes a checkpoint folder")
        if any(out.iterdir()) and not (out / MARKER_FILE).is_file():
            raise FileExistsError(
                f"{out} exists and is not a tiny checkpoint (no {MARKER_FILE}); choose another "
                "--out or remove it"
            )


def _swap_into_place(stage: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(stage, out)
    shutil.rmtree(old, ignore_errors=True)


def make_tiny(opts: MakeTinyOptions) -> MakeTinyResult:
    """Build, train, evaluate and write the tiny checkpoint with its card; see the module doc."""
    import torch

    from othink_bench.models.tiny import BUNDLED_TINY_DIR, MARKER_FILE, build_tiny

    opts.validate()
    out = Path(opts.out) if opts.out is not None else BUNDLED_TINY_DIR
    out = out.expanduser().resolve()
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    own_work = opts.work is None
    work = (Path(tempfile.mkdtemp(prefix="othink-make-tiny-")) if own_work
            else Path(opts.work).expanduser().resolve())  # type: ignore[arg-type]
    work.mkdir(parents=True, exist_ok=True)
    stage: Path | None = None  # made next to ``out`` only once there is something to stage
    threads_before = torch.get_num_threads()
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t_all, c_all = time.perf_counter(), time.process_time()
    clock: list[float] = []

    def start() -> None:
        clock[:] = [time.perf_counter(), time.process_time()]

    def stop(name: str) -> float:
        timings[name] = time.perf_counter() - clock[0]
        cpu[name] = time.process_time() - clock[1]
        return timings[name]

    def say(msg: str) -> None:
        if opts.progress:
            print(msg, flush=True)

    try:
        torch.set_num_threads(opts.threads)
        torch.manual_seed(opts.seed)
        random.seed(opts.seed)
        start()
        base = build_tiny(work / "random", seed=opts.seed)
        say(f"built the random tiny in {stop('build random tiny'):.1f}s: {base}")

        start()
        dataset, data_info = build_training_data(opts)
        say(f"training data: {data_info['rows']} rows in {stop('generate training data'):.1f}s")

        say(f"SFT: {opts.steps} steps, batch {opts.batch_size}, lr {opts.learning_rate:g}")
        start()
        select = selection_callback(base, opts, work) if opts.select_every else None
        model, train_info = train_sft(base, dataset, opts, work,
                                      callbacks=[select] if select is not None else [])
        stop("SFT training")
        if select is not None:
            train_info["selection"] = select.report()
            say(f"kept step {train_info['selection']['chosen_step']} ({RULE})")

        start()
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        weights_bytes = save_trained(base, model, stage)
        if select is not None:  # the kept step's weights, not the last step's
            shutil.copyfile(select.best_folder / "model.safetensors", stage / "model.safetensors")
            weights_bytes = (stage / "model.safetensors").stat().st_size
        num_parameters = sum(p.numel() for p in model.parameters())
        del model
        stop("save")

        validation: dict[str, TaskResult] = {}
        if opts.val_limit:
            start()
            validation = evaluate_folder(stage, split="train", data_seed=opts.data_seed + 1,
                                         limit=opts.val_limit, opts=opts, work=work)
            stop("validation (train split, held-out stream)")
            for r in validation.values():
                say(f"validation {r.task}: {_ci(r)}, format {_fmt(r)}")
        start()
        test = evaluate_folder(stage, split="test", data_seed=0, limit=opts.eval_limit,
                               opts=opts, work=work)
        stop("test evaluation")
        for r in test.values():
            say(f"test {r.task}: {_ci(r)}, format {_fmt(r)}")
        timings["total"] = time.perf_counter() - t_all
        cpu["total"] = time.process_time() - c_all
        timings = {k: round(v, 1) for k, v in timings.items()}
        cpu = {k: round(v, 1) for k, v in cpu.items()}

        result = MakeTinyResult(
            out=out,
            options=opts,
            command=command_line(opts),
            data=data_info,
            training=train_info,
            test=test,
            validation=validation,
            timings=timings,
            cpu_timings=cpu,
            weights_bytes=weights_bytes,
            weights_sha256=_sha256(stage / "model.safetensors"),
            num_parameters=num_parameters,
            software=software_versions(),
            targets_met=targets_met(test),
        )
        (stage / CARD_FILE).write_text(render_card(result), encoding="utf-8")
        (stage / RESULT_FILE).write_text(
            dumps(result.to_dict(), where=RESULT_FILE, indent=2) + "\n", encoding="utf-8"
        )
        marker_path = stage / MARKER_FILE
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
        marker.update({
            "trained": True,
            "recipe": "othink-bench make-tiny",
            "command": result.command,
            "sft_steps": train_info["steps"],
            "test_accuracy": {k: round(v.accuracy, 4) for k, v in test.items()},
        })
        marker_path.write_text(dumps(marker, where=str(marker_path), indent=2, sort_keys=True) + "\n",
                               "utf-8")
        _swap_into_place(stage, out)
        say(f"wrote {out} ({weights_bytes / 1e6:.1f} MB of weights) in {timings['total']:.0f}s")
        return result
    finally:
        torch.set_num_threads(threads_before)
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if own_work and not opts.keep_work:
            shutil.rmtree(work, ignore_errors=True)


_PHASES = ("build random tiny", "generate training data", "SFT training", "save",
           "validation (train split, held-out stream)", "test evaluation", "total")


def rewrite_card(folder: Path) -> MakeTinyResult:
    """Re-render ``folder``'s card from its ``make_tiny.json`` with today's card and targets
    (nothing is re-measured: the stored results are kept; a most-common-answer baseline that an
    older build did not store is computed from the same samples' gold answers)."""
    from othink_bench.registry import get_task

    path = Path(folder) / RESULT_FILE
    result = MakeTinyResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    # Older builds wrote make_tiny.json with sorted keys: restore the order a build renders
    # (tasks as in TASKS, phases in the order they ran, breakdown labels in natural order).
    tasks = result.data.get("tasks", {})
    result.data["tasks"] = {t: tasks[t] for t in TASKS if t in tasks}
    order = ("othink-bench", "python", "torch", "transformers", "trl", "datasets",
             "tokenizers", "machine", "cpu_count")
    result.software = dict(sorted(result.software.items(), key=lambda kv: order.index(kv[0])
                                  if kv[0] in order else len(order)))
    for clock in (result.timings, result.cpu_timings):
        ordered = sorted(clock.items(), key=lambda kv: _PHASES.index(kv[0])
                         if kv[0] in _PHASES else len(_PHASES))
        clock.clear()
        clock.update(ordered)
    result.test = {t: result.test[t] for t in TASKS if t in result.test}
    result.validation = {t: result.validation[t] for t in TASKS if t in result.validation}
    for results in (result.test, result.validation):
        for r in results.values():
            if "by_breakdown" in r.extra:
                r.extra["by_breakdown"] = dict(sorted(r.extra["by_breakdown"].items(),
                                                      key=lambda kv: _nat(kv[0])))
            if "constant_answer_baseline" not in r.extra:
                samples = get_task(r.task).load(split=r.split, limit=r.n, seed=r.data_seed)
                r.extra["constant_answer_baseline"] = constant_baseline(samples)
    result.targets_met = targets_met(result.test)
    (Path(folder) / CARD_FILE).write_text(render_card(result), encoding="utf-8")
    path.write_text(dumps(result.to_dict(), where=RESULT_FILE, indent=2) + "\n", encoding="utf-8")
    return result

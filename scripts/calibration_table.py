"""The calibration table of docs/testbed-calibration.md, from training folders.

For each training folder given (``othink-bench train ... --output DIR``): its settings (from
``othink_training.json``), steps logged, mean reward, accuracy reward and format reward over the
first and last quarter of the logged steps, the one-sided Welch p of the reward's rise (the
board's "p (rise)"), the same-prompt rise test where the training wrote ``reward_groups.jsonl``
(the board's "same prompts"), the logged KL around mid-training and over the last quarter, and
the share of groups with zero reward variance. Partial logs (a training stopped early) are
shown as such.

    python scripts/calibration_table.py RUN_DIR [RUN_DIR ...]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from leaderboard.log_summary import prompt_rise, prompt_rise_text, rise_p
from othink_bench.reward_groups import read_reward_groups


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def row(folder: Path) -> str | None:
    log = folder / "train_log.jsonl"
    if not log.is_file():
        return None
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if "reward" in r and "train_runtime" not in r]
    if len(rows) < 8:
        return None
    meta_path = folder / "othink_training.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    values = (meta.get("recipe") or {}).get("values", {}) if isinstance(meta.get("recipe"), dict) else {}
    q = len(rows) // 4
    acc_key = next((k for k in rows[0] if k.startswith("rewards/accuracy") and k.endswith("/mean")), None)
    fmt_key = "rewards/format_reward/mean"

    def quarters(key: str | None) -> str:
        if key is None or key not in rows[0]:
            return "—"
        series = [float(r.get(key, float("nan"))) for r in rows]
        return f"{_mean(series[:q]):.3f} → {_mean(series[-q:]):.3f}"

    rewards = [float(r["reward"]) for r in rows]
    p = rise_p(rewards)
    kls = [float(r.get("kl", 0.0)) for r in rows]
    mid = len(rows) // 2
    zero = _mean([float(r.get("frac_reward_zero_std", 0.0)) for r in rows])
    settings = ", ".join(
        f"{k} {values[k]}" for k in ("learning_rate", "lr_scheduler_type", "train_samples",
                                      "num_train_epochs", "beta", "beta_min", "beta_max",
                                      "alpha", "temperature", "num_generations")
        if k in values
    )
    groups = read_reward_groups(folder)
    same = prompt_rise_text(prompt_rise(groups)) if groups else "—"
    planned = meta.get("steps", "?")
    status = "" if meta.get("finished") else " (stopped early)"
    return (f"| `{folder.name}` | {meta.get('method', '?')} | {meta.get('task', '?')} | "
            f"{settings} | {len(rows)} of {planned}{status} | {quarters('reward')} | "
            f"{'—' if p is None else f'{p:.2g}'} | {same} | {quarters(acc_key)} | {quarters(fmt_key)} | "
            f"{_mean(kls[max(0, mid - 5):mid + 5]):.3f} / {_mean(kls[-q:]):.3f} | {zero:.2f} |")


def main(argv: list[str]) -> int:
    print("| training | method | task | settings | steps logged | reward (first → last quarter) "
          "| p (rise) | same prompts | accuracy reward | format reward | KL mid / last quarter | zero-variance groups |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for arg in argv:
        line = row(Path(arg))
        if line:
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

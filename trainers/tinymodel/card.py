"""The model card (``README.md`` next to the weights): how the model was built, the exact
command, data, timings and accuracies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainers.tinymodel.recipe import RECIPE_CHOICE
from trainers.tinymodel.results import MakeTinyResult, TaskResult
from trainers.tinymodel.targets import COUNTING_TASK, GEOMETRY_TASK


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(r: TaskResult) -> str:
    return f"{_pct(r.accuracy)}% [{_pct(r.accuracy_low)}, {_pct(r.accuracy_high)}]"


def _fmt(r: TaskResult) -> str:
    return f"{_pct(r.format_rate)}% [{_pct(r.format_low)}, {_pct(r.format_high)}]"


def _eval_table(results: dict[str, TaskResult]) -> list[str]:
    lines = [
        "| task | version | split (data seed) | n | accuracy [Wilson 95%] | format rate [95%] "
        "| lenient | mean output tokens |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        lines.append(
            f"| `{r.task}` | {r.task_version} | {r.split} ({r.data_seed}) | {r.n} | "
            f"{r.correct}/{r.n} = {_ci(r)} | {r.format_ok}/{r.n} = {_fmt(r)} | "
            f"{_pct(r.lenient)}% | {r.extra.get('mean_output_tokens')} |"
        )
    return lines


_TARGET_WORDS = {
    "counting_accuracy_in_40_85": "counting 40-85%",
    "geometry_accuracy_in_15_60": "geometry 15-60%",
    "geometry_ci_above_majority": "geometry interval above the most-common-answer baseline",
    "counting_format_above_80": "counting format > 80%",
    "geometry_format_above_80": "geometry format > 80%",
}


def render_card(result: MakeTinyResult) -> str:
    """The model card: how it was built, the exact command, data, timings, accuracies."""
    o, t, d = result.options, result.training, result.data
    count, geo = result.test[COUNTING_TASK], result.test[GEOMETRY_TASK]
    occ = count.extra.get("occupancy", {})
    base = count.extra.get("constant_answer_baseline", {})
    gbase = geo.extra.get("constant_answer_baseline", {})
    met = result.targets_met
    well = occ.get("well_formed_maps") or 0
    lines = [
        "# othink-bench tiny: a 2.3M-parameter Qwen2-VL trained on CPU",
        "",
        "The bundled model behind `--model tiny`. It is a real `Qwen2VLForConditionalGeneration`",
        "checkpoint (vision tower, merger, Qwen2 decoder), small enough to train and run on two",
        "CPU cores, trained by this project's own SFT trainer so that trainers, harness and",
        "leaderboard can be shown end to end offline. It does the project's *tiny* synthetic",
        "presets a little - far from perfectly, so RL has room - and nothing else: on the paper's",
        "data (`vc`, `gr`) or the full-size synthetic tasks it is a smoke-test model, not a result.",
        "",
        "## Results (greedy, the tasks' own prompts, parsers and verifiers)",
        "",
        *_eval_table(result.test),
        "",
    ]
    if result.validation:
        lines += [
            "Validation on a disjoint stream of the *training* split (data seed "
            f"{o.data_seed + 1}; these, not the test numbers, are what a change to the recipe "
            "should be judged on):",
            "",
            *_eval_table(result.validation),
            "",
        ]
    lines += [
        f"- Counting: {_ci(count)} (always answering the most common count, "
        f"{base.get('answer')}, would score {_pct(base.get('accuracy', 0.0))}%; a uniform guess "
        "over 3-10 scores 12.5%). Per true count: "
        + ", ".join(f"{k} {v}" for k, v in count.extra.get("by_breakdown", {}).items()) + ".",
        f"- Geometry: {_ci(geo)} (always answering the most common answer, "
        f"{gbase.get('answer')}, would score {_pct(gbase.get('accuracy', 0.0))}%). Per answer "
        "form: " + ", ".join(f"{k} {v}" for k, v in geo.extra.get("by_breakdown", {}).items())
        + ".",
        "- Targets of the issue (test split): "
        + "; ".join(f"{_TARGET_WORDS.get(k, k)} {'met' if v else 'NOT met'}"
                    for k, v in met.items()) + ".",
        "",
        "### Caveat: the occupancy scratchpad",
        "",
        "The counting target is `<think>{16-bit occupancy map of the 4x4 grid}</think>"
        "<answer>N</answer>`. What the model writes in `<think>` on the "
        f"{occ.get('n')} counting test images:",
        "",
        f"- well-formed 16-bit maps: {well}/{occ.get('n')}",
        f"- maps exactly equal to the true map: {occ.get('exact_maps')}/{well}",
        f"- bits agreeing with the true map: {_pct(occ.get('bit_agreement') or 0.0)}% (the same "
        "numbers of ones at random positions would agree on "
        f"{_pct(occ.get('bit_agreement_if_random_positions') or 0.0)}%)",
        f"- maps whose number of ones equals the true count: {occ.get('ones_equal_true_count')}"
        f"/{well}",
        f"- maps whose number of ones equals the model's own answer: "
        f"{occ.get('ones_equal_own_answer')}/{well}",
        "",
        _occupancy_sentence(occ, count.accuracy),
        "",
        "## How it was built",
        "",
        "The recipe (step count, share of counting batches, geometry target) was chosen by "
        "measurement on the validation stream only (train split, data seed 1, 100 samples per "
        "task; other settings at their defaults), never on the test split. Rule, fixed "
        "before the last runs: among the builds meeting every target on validation, the one "
        "with the higher geometry accuracy; added when none had: the one with the smallest "
        "total shortfall from the counting and geometry ranges among the builds that can be "
        "rebuilt here (the 88% / 52% row, from an earlier environment, rebuilt as 16% / 24%). "
        "The last two rows ran with checkpoint selection (a kept step) on another machine; "
        "both met every target on validation.",
        "",
        "| steps | counting batches | of them first | `gr-synth-tiny` target | seed | torch threads "
        "| counting (val) | geometry (val) | kept step | chosen |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(f"| {r.steps} | {_pct(r.counting_share)}% | {r.counting_first} | {r.geometry_target} "
          f"| {r.seed} "
          f"| {r.threads} | {r.counting:.0f}% | {r.geometry:.0f}% | {r.kept_step or ''} "
          f"| {'yes' if r.chosen else ''} |"
          for r in RECIPE_CHOICE),
        "",
        "```bash",
        result.command,
        "```",
        "",
        "1. `othink_bench.models.tiny.build_tiny(seed="
        f"{o.seed})`: random weights from `torch.manual_seed({o.seed})`; byte-level BPE tokenizer "
        "trained locally on the default corpus (digits single tokens, `<think>`/`<answer>` tags "
        "single non-special tokens), Qwen2-VL chat template, Qwen2-VL image processor (a 112x112 "
        "image is 16 image tokens).",
        f"   {result.num_parameters:,} parameters; `model.safetensors` is "
        f"{result.weights_bytes / 1e6:.1f} MB (float32), sha256 `{result.weights_sha256}`.",
        "2. SFT with `trainers.sft.build_sft_trainer` (`trl.SFTTrainer`; prompt-completion data "
        "from `trainers.data.build_dataset`: the evaluation prompt with the image first, the "
        "solution as the completion, loss on the completion only).",
        f"   {t['steps']} steps, batch {t['batch_size']}, AdamW ({t['optimizer']}) lr "
        f"{t['learning_rate']:g} {t['lr_scheduler']} with {t['warmup_steps']} warm-up steps, "
        f"weight decay {t['weight_decay']:g}, grad-norm clip {t['max_grad_norm']:g}, "
        f"{t['precision']}, seed {o.seed}.",
        f"   Batches hold one task each; {_pct(o.counting_share)}% of them are counting, in an "
        f"order shuffled with `random.Random({o.seed})` and read by a sequential sampler"
        + (f", after {o.counting_first} counting-only batches." if o.counting_first else "."),
        *_selection_lines(t.get("selection")),
        "3. Evaluation of the saved folder with `othink_bench.harness.evaluate` (hf backend, "
        f"greedy, batch {o.eval_batch_size}, max new tokens "
        + ("the tasks' own (256 each)" if o.max_new_tokens is None
           else f"{o.max_new_tokens} (NOT the tasks' own budgets)") + ").",
        "",
        "### Data",
        "",
        "| task | version | split | data seed | indices | distinct samples | batches | rows |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task_id, info in d["tasks"].items():
        lines.append(
            f"| `{task_id}` | {info['version']} | {info['split']} | {info['data_seed']} | "
            f"{info['indices']} | {info['distinct_samples']} | {info['batches']} | "
            f"{info['rows']} |"
        )
    lines += [
        "",
        f"Test: the first {o.eval_limit} samples of each task's `test` split (data seed 0; the "
        "procedural test and train splits are disjoint random streams). Nothing in this recipe "
        "was chosen by looking at the test split.",
        "",
        "- `vc-synth-tiny`: 112x112 images, a jittered 4x4 grid (at most one object per 28x28 "
        "cell), 3-10 objects; target `<think>0100 1101 1100 0001</think><answer>7</answer>`.",
        "- `gr-synth-tiny`: one- and two-step angle problems (triangle angle sum, parallel lines "
        "and a transversal, isosceles base angles, exterior angle) with 112x112 diagrams; the "
        "question names every parallel-line angle relation (since 1.2; before, only the diagram "
        "told equal from supplementary angles); target: the reasoning's own arithmetic, "
        "`<think>180-40-70=70</think><answer>70°</answer>` (since 1.2; the long reasoning "
        "chain before).",
        "",
        "### Training loss",
        "",
        "| step | loss | token accuracy | seconds |",
        "|---|---|---|---|",
    ]
    curve = t.get("loss_curve", [])
    stride = max(1, len(curve) // 15)
    shown = curve[::stride] + ([curve[-1]] if curve and curve[-1] not in curve[::stride] else [])
    for p in shown:
        lines.append(f"| {p['step']} | {p['loss']:.4f} | {p['token_accuracy']:.3f} | "
                     f"{p['elapsed_s']:.0f} |")
    tm = result.timings
    sw = result.software
    lines += [
        "",
        "### Timings",
        "",
        f"On {sw.get('cpu_count')} CPU cores ({sw.get('machine')}), torch "
        f"{sw.get('torch')} with {t['torch_threads']} thread"
        f"{'s' if t['torch_threads'] != 1 else ''}:",
        "",
        "| phase | wall seconds | CPU seconds (all threads of the process) |",
        "|---|---|---|",
        *(f"| {k} | {v:.0f} | {result.cpu_timings.get(k, float('nan')):.0f} |"
          for k, v in tm.items()),
        "",
        f"Training ran at {t['seconds_per_step']:.2f} s/step on average "
        f"({_fastest_rate(t.get('loss_curve', []))}). The build machine was shared with other "
        "jobs, so the wall times are upper bounds for an idle machine.",
        "",
        "### Software",
        "",
        ", ".join(f"{k} {v}" for k, v in sw.items() if k not in ("cpu_count", "machine")) + ".",
        "",
        "## Reproducing",
        "",
        "Rebuilding with the same seed on the same software gives the same weights and the same "
        "accuracies (weights from `torch.manual_seed`, data from the tasks' seeded generators, "
        "batch order from a seeded `random.Random`, no dataloader workers, a fixed number of "
        f"torch threads ({o.threads})); another CPU or "
        "library version changes float rounding and therefore the numbers within noise. "
        "Two builds of one command on one machine gave bit-identical weights; compare yours "
        "with the hash above. On another CPU with the same software one recipe trained "
        "differently from step 100 on and ended elsewhere (35% / 14% against 46% / 39% on "
        "validation): on these settings a rebuild elsewhere is a new draw, which checkpoint "
        "selection and the validation numbers let you judge. `make_tiny.json` holds every "
        "number above.",
        "",
    ]
    return "\n".join(lines)


def _selection_lines(sel: dict[str, Any] | None) -> list[str]:
    """Step 2's checkpoint selection: the rule and every look (none when selection was off)."""
    if not sel:
        return []
    lines = [
        f"   Checkpoint selection (`trainers.tinymodel.selection`): every {sel['every']} steps "
        f"from step {sel['from']} and at the last step, the weights were scored on the "
        f"validation stream; kept: **step {sel['chosen_step']}**, by the rule fixed before any "
        f"build used it: {sel['rule']}. Being selected, the kept step's validation numbers are "
        "optimistic; the test numbers are not.",
        "",
        "   | step | counting (val) | geometry (val) | format (val, counting / geometry) "
        "| shortfall (points) | kept |",
        "   |---|---|---|---|---|---|",
    ]
    for c in sel["candidates"]:
        lines.append(
            f"   | {c['step']} | {_pct(c['counting'])}% | {_pct(c['geometry'])}% | "
            f"{_pct(c['counting_format'])}% / {_pct(c['geometry_format'])}% | "
            f"{c['shortfall']:g} | {'yes' if c['step'] == sel['chosen_step'] else ''} |")
    return [*lines, ""]


def _fastest_rate(curve: Sequence[dict[str, float]]) -> str:
    """The fastest stretch between logged steps, i.e. the speed on an unloaded machine."""
    rates = [
        (b["elapsed_s"] - a["elapsed_s"]) / (b["step"] - a["step"])
        for a, b in zip(curve, curve[1:], strict=False)
        if b["step"] > a["step"]
    ]
    return f"{min(rates):.2f} s/step over the fastest logged stretch" if rates else "one stretch"


def _occupancy_sentence(occ: dict[str, Any], accuracy: float) -> str:
    """What the scratchpad numbers say, in words (the issue's caveat, checked on this model)."""
    well = occ.get("well_formed_maps") or 0
    if not well:
        return "The model wrote no well-formed map, so the scratchpad cannot be compared."
    exact = (occ.get("exact_maps") or 0) / well
    count_ok = (occ.get("ones_equal_true_count") or 0) / well
    consistent = (occ.get("ones_equal_own_answer") or 0) / well
    agree = occ.get("bit_agreement") or 0.0
    chance = occ.get("bit_agreement_if_random_positions") or 0.0
    rarely = "rarely" if exact < 0.25 else "often not"
    where = (
        "barely better than random positions" if agree - chance < 0.1 else "only partly right"
    ) + f" ({_pct(agree)}% of bits agree, {_pct(chance)}% would at random positions)"
    relies = (
        "the answer is essentially the number of ones it wrote"
        if consistent >= 0.9
        else "the answer follows the number of ones it wrote only part of the time"
    )
    return (
        f"So the maps are {rarely} the true map ({_pct(exact)}% exact), and the positions of "
        f"the ones are {where}. The number of ones "
        f"is right more often ({_pct(count_ok)}%), and {relies} ({_pct(consistent)}%); the "
        f"answers ({_pct(accuracy)}% correct) come from a learned count, not from a faithful "
        "map. Treat the `<think>` text of this model as a counting aid, not as reasoning."
    )

"""The bundled tiny model's recipe (``othink-bench make-tiny``): build it from scratch, offline, on
a CPU.

Why this exists: the machines this project is built on (and most users' laptops) cannot download
Qwen2-VL or the paper's data, and have no GPU. The only way to show there that the trainers learn
and that the train/eval matrices mean something is a small model that already does the tasks a
little and that this project trained itself. This command is that recipe, end to end and
reproducible:

1. :func:`othink_bench.models.tiny.build_tiny` - a random ~2.3M-parameter Qwen2-VL with a locally
   trained BPE tokenizer, the Qwen2-VL chat template and image processor;
2. SFT warm-up with this project's own SFT trainer (:func:`trainers.sft.build_sft_trainer` over
   :func:`trainers.data.build_dataset`: the evaluation prompt in, the task's solution out, loss on
   the assistant turn only) on the *training* splits of ``vc-synth-tiny`` and ``gr-synth-tiny``,
   mixed (by default 2:1 counting:geometry) in task-homogeneous batches (the two tasks'
   sequences differ in length, so mixed batches would mostly pay for padding);
3. evaluation of the saved folder with the harness (:func:`othink_bench.harness.evaluate`,
   greedy, the tasks' own token budgets) on both *test* splits, plus an optional validation on a
   disjoint training stream (data seed + 1) - the only numbers a person tuning this recipe
   should look at;
4. a model card (``README.md``) and a machine-readable ``make_tiny.json`` next to the weights,
   and the folder swapped into place atomically.

The recipe starts from what was known to work on 2 CPU cores (112x112 grid images with a 16-bit
occupancy scratchpad, batch 16, lr 1e-3 cosine) and from issue 14's findings: geometry is learned
from a short arithmetic scratchpad (``gr-synth-tiny`` 1.2, ``<think>180-40-70=70</think>``), not
from the long reasoning chain, and once the question names the parallel-line angle relation it
is learned fast. Without checkpoint selection no build met every target on the validation
stream (counting collapsed or overshot); with it (:mod:`~trainers.tinymodel.selection`, every 100
steps from 800) the default recipe - 2000 steps, 40% counting batches, 400 of them first - met
every target on validation and on test (:data:`RECIPE_CHOICE` records every trial and the choice
rule). Determinism: the weights come from ``torch.manual_seed(seed)``, the data
from the tasks' seeded generators, the batch order from ``random.Random(seed)`` with a sequential
sampler and no dataloader workers, and torch runs one thread by default (the same float rounding
whatever the machine's core count, and no collapse when another job shares the cores: two threads
on one free core ran about 20 times slower), so the same seed on the same software and CPU gives
the same model.

The layout: :mod:`~trainers.tinymodel.targets` (the two tasks, the targets),
:mod:`~trainers.tinymodel.recipe` (:class:`MakeTinyOptions`, the seeded batch order),
:mod:`~trainers.tinymodel.train` (training data, SFT, saving), :mod:`~trainers.tinymodel.selection`
(optional checkpoint selection on the validation stream), :mod:`~trainers.tinymodel.evaluate`
(harness evaluation and counting diagnostics), :mod:`~trainers.tinymodel.card` (the model card),
:mod:`~trainers.tinymodel.results` (what a build produced), :mod:`~trainers.tinymodel.pipeline`
(:func:`make_tiny`, steps 1-4 above) and :mod:`~trainers.tinymodel.command` (the command line).
Heavy libraries (torch, transformers, trl, datasets) are imported inside the functions that use
them, so importing this package is cheap.
"""


from __future__ import annotations

from trainers.tinymodel.card import render_card
from trainers.tinymodel.evaluate import constant_baseline, evaluate_folder, occupancy_report
from trainers.tinymodel.pipeline import command_line, make_tiny, rewrite_card, software_versions
from trainers.tinymodel.recipe import RECIPE_CHOICE, MakeTinyOptions, RecipeTrial, batch_plan
from trainers.tinymodel.results import CARD_FILE, RESULT_FILE, MakeTinyResult, TaskResult
from trainers.tinymodel.targets import (
    COUNTING_TARGET,
    COUNTING_TASK,
    FORMAT_TARGET,
    GEOMETRY_TARGET,
    GEOMETRY_TASK,
    TASKS,
    targets_met,
)
from trainers.tinymodel.train import build_training_data, save_trained, train_sft

__all__ = [
    "CARD_FILE",
    "COUNTING_TARGET",
    "COUNTING_TASK",
    "FORMAT_TARGET",
    "GEOMETRY_TARGET",
    "GEOMETRY_TASK",
    "MakeTinyOptions",
    "MakeTinyResult",
    "RESULT_FILE",
    "RECIPE_CHOICE",
    "RecipeTrial",
    "TASKS",
    "TaskResult",
    "batch_plan",
    "build_training_data",
    "command_line",
    "constant_baseline",
    "evaluate_folder",
    "make_tiny",
    "occupancy_report",
    "render_card",
    "rewrite_card",
    "save_trained",
    "software_versions",
    "targets_met",
    "train_sft",
]

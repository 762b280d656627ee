"""The training step: the SFT dataset in :func:`~trainers.tinymodel.recipe.batch_plan` order,
SFT with the project's own trainer, and saving the trained weights.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainers.tinymodel.recipe import MakeTinyOptions, _pool_sizes, batch_plan
from trainers.tinymodel.targets import TASKS


def build_training_data(opts: MakeTinyOptions) -> tuple[Any, dict[str, Any]]:
    """The SFT dataset in training order (for a sequential sampler) and a description of it."""
    from datasets import concatenate_datasets

    from othink_bench.registry import get_task
    from trainers.data import DataReport, build_dataset

    pools = _pool_sizes(opts)
    rows, n_batches = batch_plan(opts.steps, opts.batch_size, opts.counting_share, pools,
                                 opts.seed, counting_first=opts.counting_first)
    parts, info = [], {}
    for t, (task_id, pool) in enumerate(zip(TASKS, pools, strict=True)):
        task = get_task(task_id)
        used = sorted({i for kind, i in rows if kind == t})
        size = (used[-1] + 1) if used else 0
        if size == 0:  # the task gets no batch (counting_share 0 or 1): one row keeps shapes
            size = 1
        report = DataReport()
        samples = task.load(split="train", limit=size, seed=opts.data_seed)
        parts.append(build_dataset(task, samples, for_sft=True, report=report))
        if report.used != size:
            raise RuntimeError(f"{task_id}: {report.used} of {size} training samples usable "
                               f"({report.dropped})")
        info[task_id] = {
            "version": task.version,
            "split": "train",
            "data_seed": opts.data_seed,
            "indices": f"0..{size - 1}",
            "distinct_samples": len(used),
            "pool": pool,
            "batches": n_batches[t],
            "rows": n_batches[t] * opts.batch_size,
        }
    offset = len(parts[0])
    order = [i if kind == 0 else offset + i for kind, i in rows]
    dataset = concatenate_datasets(parts).select(order)
    return dataset, {"tasks": info, "rows": len(order), "order_seed": opts.seed,
                     "counting_first": opts.counting_first}


def _loss_logger(progress: bool) -> Any:
    from transformers import TrainerCallback

    class LossLog(TrainerCallback):  # type: ignore[misc]
        """Keeps (step, loss, seconds) at every logging step and prints one line for each."""

        def __init__(self) -> None:
            self.t0 = time.perf_counter()
            self.points: list[dict[str, float]] = []

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if not logs or "loss" not in logs:
                return
            point = {
                "step": int(state.global_step),
                "loss": round(float(logs["loss"]), 4),
                "token_accuracy": round(float(logs.get("mean_token_accuracy", float("nan"))), 4),
                "elapsed_s": round(time.perf_counter() - self.t0, 1),
            }
            self.points.append(point)
            if progress:
                print(f"  step {point['step']:>5}/{state.max_steps}  loss {point['loss']:.4f}  "
                      f"token acc {point['token_accuracy']:.3f}  {point['elapsed_s']:.0f}s",
                      flush=True)

    return LossLog()


def train_sft(
    base: Path,
    dataset: Any,
    opts: MakeTinyOptions,
    work: Path,
    callbacks: Sequence[Any] = (),
) -> tuple[Any, dict[str, Any]]:
    """SFT the random tiny at ``base`` on ``dataset`` (rows already in order) with the project's
    SFT trainer; returns the trained model (in memory) and a description of the training.
    ``callbacks`` (transformers ``TrainerCallback``) are added to the trainer's."""
    import torch

    from othink_bench.models.processor import load_model
    from trainers.config import SFTRecipeConfig
    from trainers.sft import build_sft_trainer

    torch.manual_seed(opts.seed)
    model, processor = load_model(str(base), device="cpu", dtype="float32")
    model.train()
    config = SFTRecipeConfig(
        output_dir=str(work / "sft"),
        max_steps=opts.steps,
        per_device_train_batch_size=opts.batch_size,
        gradient_accumulation_steps=1,
        learning_rate=opts.learning_rate,
        lr_scheduler_type=opts.lr_scheduler,
        warmup_steps=opts.warmup_steps,
        train_sampling_strategy="sequential",  # the order is batch_plan's, seeded
        dataloader_num_workers=0,
        gradient_checkpointing=False,  # 2.3M parameters: recomputation only costs time
        activation_checkpointing=False,
        logging_steps=opts.logging_steps,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=opts.seed,
        data_seed=opts.seed,
        bf16=False,
        use_cpu=True,
    )
    logger = _loss_logger(opts.progress)
    trainer = build_sft_trainer(model, processor, config, dataset,
                                callbacks=[logger, *callbacks])
    # The stock PrinterCallback would print every log dict again; ours prints one line.
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    t0 = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - t0
    steps = int(trainer.state.global_step)
    info = {
        "trainer": "trainers.sft.build_sft_trainer (trl.SFTTrainer, completion-only loss)",
        "steps": steps,
        "batch_size": opts.batch_size,
        "learning_rate": opts.learning_rate,
        "lr_scheduler": opts.lr_scheduler,
        "warmup_steps": opts.warmup_steps,
        "optimizer": str(getattr(config.optim, "value", config.optim)),
        "weight_decay": config.weight_decay,
        "max_grad_norm": config.max_grad_norm,
        "precision": "float32",
        "seconds": round(seconds, 1),
        "seconds_per_step": round(seconds / max(steps, 1), 3),
        "final_train_loss": float(output.training_loss),
        "loss_curve": logger.points,
        "torch_threads": torch.get_num_threads(),
    }
    model.eval()
    return trainer.model, info


def save_trained(base: Path, model: Any, dest: Path) -> int:
    """Copy the random build's folder (tokenizer, processor, configs) to ``dest`` and put the
    trained weights in it; returns the size of ``model.safetensors`` in bytes."""
    shutil.copytree(base, dest, dirs_exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        weights = Path(tmp) / "model.safetensors"
        if not weights.is_file():
            raise RuntimeError(f"save_pretrained wrote no single model.safetensors in {tmp}")
        shutil.copyfile(weights, dest / "model.safetensors")
    os.chmod(dest / "model.safetensors", 0o644)
    return (dest / "model.safetensors").stat().st_size

"""How much the KL term acts on a GRPO update, against the policy term: ``python -m trainers.kl_share``.

Why a gradient measure: the logged GRPO loss cannot tell. With group-normalised advantages
(zero mean in every group) the policy term's *value* is ~0 whatever it does to the weights, so a
logged loss of ~1e-5 is almost exactly beta x KL even when the policy term drives every update.
What moves the weights is the gradient, so this measures, on completions sampled from the
policy as training would sample them, the gradient of the policy term alone and of
beta x (KL term) alone, through the same forward pass (two backward passes), and reports
``||grad(beta KL)|| / ||grad(policy)||`` (the headline) and the cosine between the two.

The loss is TRL 1.16's ``GRPOTrainer._compute_loss`` for ``loss_type="grpo"`` with
``use_bias_correction_kl=False`` (read in the venv's ``trl/trainer/grpo_trainer.py``), on-policy
(``old_per_token_logps = per_token_logps.detach()``, so the clipped ratio is 1 in value):

* advantage ``A = (r - mean_group(r)) / (std_group(r) + 1e-4)`` (``scale_rewards="group"``,
  ``multi_objective_aggregation="sum_then_normalize"``, std with Bessel's correction as TRL's
  ``nanstd``), ``r = R_acc + alpha * R_format`` (:func:`othink_bench.rewards.reward_functions`);
* per token: policy ``-A * exp(logp - logp.detach())``, KL the k3 estimator
  ``exp(ref - logp) - (ref - logp) - 1``; loss per token ``policy + beta * KL``;
* each sequence's token losses are averaged over its completion tokens (up to and including the
  first EOS), and sequences are averaged. TRL then divides by the gradient-accumulation steps,
  which scales both gradients alike; the norms here are of the loss before that division.

Completions are sampled as TRL's transformers path does (``do_sample``, the recipe's
temperature, top-p/top-k/min-p, ``max_completion_length``, the image token suppressed, cut after
the first EOS) and decoded with ``skip_special_tokens`` into an assistant message for the
rewards. Prompts are the training dataset's (:func:`trainers.data.build_dataset`, i.e.
:meth:`Task.prompt` with the image filled in by ``trl.data_utils.prepare_multimodal_messages``),
from the *validation stream*: the train split with data seed 1 (training reads seed 0), never
the test split. Each prompt's group is its own batch (no prompt padding), so the figures do not
depend on how prompts are batched.

Log-probabilities are the model's plain forward (``logits / temperature``, log-softmax) in
evaluation mode; TRL computes the same quantity through a fused LM head in training mode
(identical where the model has no dropout, as the tiny model). ``tests/test_kl_share.py``
checks the gradient against TRL's own ``compute_loss`` on the same inputs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from trainers.recipes import ConfigError

#: The command's one-line help.
DESCRIPTION = ("how much the KL term acts against the policy term of a GRPO update: gradient "
               "norms of each on completions sampled from the validation stream")

#: TRL 1.16's constant in the advantage's denominator (grpo_trainer.py, scale_rewards "group").
ADV_EPS = 1e-4


@dataclass
class KLShare:
    """The measurement: gradient norms of the two terms of the GRPO loss, and their ratio."""

    policy: str
    reference: str
    task: str
    beta: float
    alpha: float
    prompts: int
    generations: int
    seed: int
    temperature: float
    max_completion_length: int
    completion_tokens: int
    mean_reward: float
    zero_std_share: float  # share of groups whose rewards are all equal (no policy gradient)
    mean_kl: float  # per completion token, as TRL logs "kl" (masked mean over all tokens)
    policy_grad_norm: float
    kl_grad_norm: float  # of beta x the KL term
    ratio: float  # kl_grad_norm / policy_grad_norm; inf when the policy gradient is 0
    cosine: float | None  # between the two gradients; None when either is 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)
        if not math.isfinite(self.ratio):  # strict JSON has no Infinity or NaN
            out["ratio"] = None
            out["ratio_note"] = (
                "infinite: the policy gradient is 0 (every group's rewards are equal)"
                if math.isinf(self.ratio) else "undefined: both gradients are 0")
        return out

    def render(self) -> str:
        cos = "n/a (a gradient is 0)" if self.cosine is None else f"{self.cosine:+.4f}"
        return "\n".join([
            f"policy     {self.policy}",
            f"reference  {self.reference}",
            f"task       {self.task} (validation stream: train split, data seed 1)",
            f"samples    {self.prompts} prompts x {self.generations} completions "
            f"({self.completion_tokens} tokens), temperature {self.temperature:g}, "
            f"max {self.max_completion_length} tokens, seed {self.seed}",
            f"reward     mean {self.mean_reward:.4f} (alpha {self.alpha:g}); groups with zero "
            f"reward variance {self.zero_std_share:.1%}",
            f"KL         mean per token {self.mean_kl:.6g}; beta {self.beta:g}",
            f"||grad policy||        {self.policy_grad_norm:.6g}",
            f"||grad beta*KL||       {self.kl_grad_norm:.6g}",
            f"ratio ||grad beta*KL|| / ||grad policy||  {self.ratio:.6g}",
            f"cosine(grad policy, grad beta*KL)  {cos}",
        ])


def group_advantages(rewards: Any, generations: int) -> tuple[Any, Any]:
    """TRL's group-normalised advantages and each completion's zero-std flag.

    ``rewards`` is a float tensor of shape ``(groups * generations,)``, each group contiguous.
    """
    import torch

    grouped = rewards.view(-1, generations)
    mean = grouped.mean(dim=1).repeat_interleave(generations)
    std = grouped.std(dim=1).repeat_interleave(generations)  # unbiased, as TRL's nanstd
    advantages = (rewards - mean) / (std + ADV_EPS)
    return advantages, torch.isclose(std, torch.zeros_like(std))


def loss_terms(logps: Any, ref_logps: Any, advantages: Any, mask: Any) -> tuple[Any, Any]:
    """The policy term and the (unweighted) KL term of TRL's "grpo" loss, on-policy.

    ``logps``/``ref_logps``/``mask`` are ``(B, T)``, ``advantages`` ``(B,)``. Both terms are
    per-sequence token means averaged over sequences, so the loss is ``policy + beta * kl``.
    """
    import torch

    ratio = torch.exp(logps - logps.detach())  # 1 in value; d ratio = d logp
    per_token_policy = -ratio * advantages.unsqueeze(1)
    delta = ref_logps - logps
    per_token_kl = torch.exp(delta) - delta - 1
    lengths = mask.sum(-1).clamp(min=1.0)

    def seq_mean(x: Any) -> Any:
        return ((x * mask).sum(-1) / lengths).mean()

    return seq_mean(per_token_policy), seq_mean(per_token_kl)


def completion_logps(model: Any, prompt: dict[str, Any], completion_ids: Any, completion_mask: Any,
                     temperature: float) -> Any:
    """Per-token log-probabilities ``(G, T)`` of ``G`` completions of one prompt."""
    import torch

    g = completion_ids.size(0)
    input_ids = torch.cat([prompt["input_ids"].expand(g, -1), completion_ids], dim=1)
    attention = torch.cat([prompt["attention_mask"].expand(g, -1), completion_mask], dim=1)
    extra: dict[str, Any] = {}
    for key, value in prompt.items():
        if key in ("input_ids", "attention_mask"):
            continue
        if value.dim() == 2 and value.size(1) == prompt["input_ids"].size(1):
            # a per-token field (Qwen2-VL's mm_token_type_ids): completion tokens are text, 0
            extra[key] = torch.cat([value.expand(g, -1), torch.zeros_like(completion_ids)], dim=1)
        else:  # one image per prompt: its patch rows and grid repeat once per completion
            extra[key] = value.repeat(g, 1)
    logits = model(input_ids=input_ids, attention_mask=attention, **extra).logits
    t = completion_ids.size(1)
    logits = logits[:, -t - 1:-1, :].float() / temperature
    return torch.log_softmax(logits, dim=-1).gather(-1, completion_ids.unsqueeze(-1)).squeeze(-1)


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    """TRL's EOS set: the generation config's ids, plus the tokenizer's."""
    ids = model.generation_config.eos_token_id
    ids = [] if ids is None else [ids] if isinstance(ids, int) else list(ids)
    if tokenizer.eos_token_id not in ids:
        ids = [tokenizer.eos_token_id, *ids]
    return ids


@dataclass
class Group:
    """One prompt with its sampled completions and their advantages."""

    prompt: dict[str, Any]
    completion_ids: Any
    completion_mask: Any
    rewards: Any
    advantages: Any
    zero_std: bool


def sample_groups(model: Any, processor: Any, rows: Sequence[dict[str, Any]],
                  reward_fns: Sequence[Callable[..., list[float]]], weights: Sequence[float],
                  config: Any, generations: int, seed: int) -> list[Group]:
    """Sample ``generations`` completions per dataset row and score them as TRL would."""
    import torch
    from transformers import GenerationConfig
    from trl.data_utils import prepare_multimodal_messages

    tokenizer = getattr(processor, "tokenizer", processor)
    eos = _eos_ids(model, tokenizer)
    gen = GenerationConfig(
        max_new_tokens=config.max_completion_length, do_sample=True,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=eos, temperature=config.temperature, top_p=config.top_p,
        top_k=config.top_k, min_p=config.min_p, repetition_penalty=config.repetition_penalty,
        suppress_tokens=[model.config.image_token_id], disable_compile=True,
    )
    torch.manual_seed(seed)
    groups: list[Group] = []
    for row in rows:
        images = [row["image"]] if row.get("image") is not None else []
        messages = prepare_multimodal_messages(row["prompt"], images=images)
        prompt = dict(processor.apply_chat_template(
            conversation=[messages], add_generation_prompt=True, tokenize=True,
            return_dict=True, return_tensors="pt"))
        n = prompt["input_ids"].size(1)
        with torch.no_grad():
            # one image per prompt: its patch rows and grid repeat once per completion
            batch = {k: v.repeat(generations, 1) for k, v in prompt.items()}
            out = model.generate(**batch, generation_config=gen)
        ids = out[:, n:]
        is_eos = torch.isin(ids, torch.tensor(eos))
        first = torch.full((ids.size(0),), ids.size(1), dtype=torch.long)
        has = is_eos.any(dim=1)
        first[has] = is_eos.int().argmax(dim=1)[has]
        mask = (torch.arange(ids.size(1)).expand(ids.size(0), -1) <= first.unsqueeze(1)).long()
        width = max(int(mask.sum(1).max()), 1)
        ids, mask = ids[:, :width], mask[:, :width]
        ids = ids.masked_fill(mask == 0, tokenizer.pad_token_id)
        texts = processor.batch_decode([i[m.bool()].tolist() for i, m in zip(ids, mask, strict=True)],
                                       skip_special_tokens=True)
        completions = [[{"role": "assistant", "content": t}] for t in texts]
        columns = {k: [v] * generations for k, v in row.items() if k not in ("prompt", "image")}
        per_fn = [fn(prompts=[row["prompt"]] * generations, completions=completions, **columns)
                  for fn in reward_fns]
        rewards = torch.tensor([sum(w * float(r[i]) for w, r in zip(weights, per_fn, strict=True))
                                for i in range(generations)], dtype=torch.float32)
        advantages, zero = group_advantages(rewards, generations)
        groups.append(Group(prompt, ids, mask, rewards, advantages, bool(zero[0])))
    return groups


def _flat_grad(params: Sequence[Any]) -> Any:
    import torch

    return torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                      for p in params])


def gradients(model: Any, ref_model: Any, groups: Sequence[Group], temperature: float
              ) -> tuple[Any, Any, float, int]:
    """Flat gradients of the policy term and of the (unweighted) KL term over all groups, the
    mean per-token KL and the completion-token count. The loss over all groups is the mean of
    the groups' losses (equal group sizes), so each group's terms are scaled by 1/len(groups)."""
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    policy_grad = torch.zeros(sum(p.numel() for p in params), dtype=torch.float64)
    kl_grad = torch.zeros_like(policy_grad)
    kl_sum, tokens = 0.0, 0
    for group in groups:
        with torch.no_grad():
            ref = completion_logps(ref_model, group.prompt, group.completion_ids,
                                   group.completion_mask, temperature)
        logps = completion_logps(model, group.prompt, group.completion_ids,
                                 group.completion_mask, temperature)
        policy, kl = loss_terms(logps, ref, group.advantages, group.completion_mask.float())
        model.zero_grad(set_to_none=True)
        (policy / len(groups)).backward(retain_graph=True)
        policy_grad += _flat_grad(params).double()
        model.zero_grad(set_to_none=True)
        (kl / len(groups)).backward()
        kl_grad += _flat_grad(params).double()
        model.zero_grad(set_to_none=True)
        with torch.no_grad():
            delta = ref - logps
            per_token = torch.exp(delta) - delta - 1
            m = group.completion_mask.float()
            kl_sum += float((per_token * m).sum())
            tokens += int(m.sum())
    return policy_grad, kl_grad, kl_sum / max(tokens, 1), tokens


def summarise(policy_grad: Any, kl_grad: Any, beta: float
              ) -> tuple[float, float, float, float | None]:
    """(||grad policy||, ||grad beta*KL||, ratio, cosine) from the flat gradients of the policy
    term and of the unweighted KL term. The ratio is inf when only the policy gradient is 0 and
    NaN when both are (nothing moves the weights); the cosine is None when either is 0."""
    p = float(policy_grad.norm())
    kl_norm = float(kl_grad.norm())
    k = abs(beta) * kl_norm
    if p > 0:
        ratio = k / p
    else:
        ratio = math.inf if k > 0 else math.nan
    cosine = None
    if p > 0 and k > 0:
        cosine = math.copysign(1.0, beta) * float(policy_grad @ kl_grad) / (p * kl_norm)
    return p, k, ratio, cosine


def reference_of(policy: str) -> str:
    """The policy checkpoint's recorded base model (its ``othink_checkpoint.json``)."""
    from othink_bench.models.provenance import read_provenance

    found = read_provenance(policy) if Path(policy).is_dir() else None
    if found is None:
        raise ConfigError(
            f"{policy} records no base model (no othink_checkpoint.json in it); pass --reference "
            "(a checkpoint folder, or 'tiny' for the bundled model)"
        )
    return found.base_model


def grpo_config(policy: str, base: str, task: Any, recipe: str | None,
                overrides: dict[str, Any]) -> tuple[Any, Any]:
    """The training's GRPO settings: the recipe recorded in the checkpoint, else ``recipe``
    (default: the base model's), with ``overrides`` last."""
    from othink_bench.models.provenance import CHECKPOINT_META
    from trainers.config import GRPO_METHODS, GRPODConfig, task_family
    from trainers.recipes import default_recipe
    from trainers.recipes.resolve import resolve_recipe

    meta_path = Path(policy) / CHECKPOINT_META
    method = "grpo"
    source: Any = recipe or default_recipe(base)
    if recipe is None and meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        recorded = (meta.get("recipe") or {}).get("values")
        if meta.get("method") in GRPO_METHODS and isinstance(recorded, dict):
            method, source = meta["method"], {"common": recorded, "_path": str(meta_path)}
    resolved = resolve_recipe(source, method, task_family(task), overrides)
    with tempfile.TemporaryDirectory(prefix="kl-share-") as scratch:  # nothing is written
        config = resolved.build_config(scratch)
    assert isinstance(config, GRPODConfig)  # method is grpo or grpod
    problems = []
    if config.loss_type != "grpo":
        problems.append(f"loss_type={config.loss_type!r} (measured: 'grpo')")
    if config.use_bias_correction_kl:
        problems.append("use_bias_correction_kl=true (measured: false)")
    if config.scale_rewards != "group":
        problems.append(f"scale_rewards={config.scale_rewards!r} (measured: 'group')")
    if config.multi_objective_aggregation != "sum_then_normalize":
        problems.append(f"multi_objective_aggregation={config.multi_objective_aggregation!r}")
    if problems:
        raise ConfigError(
            f"kl-share measures the paper's loss only; the settings of {meta_path} / recipe have "
            f"{'; '.join(problems)}: pass overrides, e.g. loss_type=grpo"
        )
    return config, resolved


def measure(policy: str, *, task: str, beta: float, reference: str | None = None,
            prompts: int = 16, generations: int = 8, seed: int = 0, alpha: float | None = None,
            recipe: str | None = None, overrides: dict[str, Any] | None = None,
            data_seed: int = 1) -> KLShare:
    """Sample on the validation stream and measure the two gradients (see the module doc)."""
    import torch

    from othink_bench.models.tiny import resolve_model
    from othink_bench.registry import get_task
    from trainers.data import task_dataset
    from trainers.grpo import task_rewards
    from trainers.run import load_training_processor

    if prompts < 1 or generations < 2:
        raise ConfigError(f"need >= 1 prompt and >= 2 generations, got {prompts} and "
                          f"{generations}")
    if data_seed == 0:
        raise ConfigError("data seed 0 is the training stream; measure on the validation "
                          "stream (data seed 1)")
    task_obj = get_task(task)
    policy_path = resolve_model(policy)
    base = reference if reference is not None else reference_of(policy_path)
    ref_path = resolve_model(base)
    extra = dict(overrides or {})
    if alpha is not None:
        extra["alpha"] = alpha
        extra["reward_weights"] = [1.0, float(alpha)]
    config, resolved = grpo_config(policy_path, base, task_obj, recipe, extra)
    options = resolved.options
    dataset, _ = task_dataset(task_obj, source=options.source, data=options.data,
                              image_root=options.image_root, train_samples=prompts,
                              seed=data_seed, max_pixels=options.max_pixels)
    processor = load_training_processor(policy_path, resolved)
    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(policy_path, dtype=torch.float32)
    ref_model = AutoModelForImageTextToText.from_pretrained(ref_path, dtype=torch.float32)
    model.eval()
    ref_model.eval()
    for weight in ref_model.parameters():
        weight.requires_grad_(False)
    weights = [float(w) for w in (config.reward_weights or [1.0, config.alpha])]
    rows = [dataset[i] for i in range(len(dataset))]
    groups = sample_groups(model, processor, rows, task_rewards(task_obj, config), weights,
                           config, generations, seed)
    policy_grad, kl_grad, mean_kl, tokens = gradients(model, ref_model, groups,
                                                      float(config.temperature))
    p, k, ratio, cosine = summarise(policy_grad, kl_grad, beta)
    rewards = torch.cat([g.rewards for g in groups])
    return KLShare(
        policy=str(policy), reference=str(base), task=task_obj.id, beta=beta,
        alpha=float(weights[1]) if len(weights) > 1 else 0.0, prompts=len(groups),
        generations=generations, seed=seed, temperature=float(config.temperature),
        max_completion_length=int(config.max_completion_length), completion_tokens=tokens,
        mean_reward=float(rewards.mean()),
        zero_std_share=sum(g.zero_std for g in groups) / len(groups), mean_kl=mean_kl,
        policy_grad_norm=p, kl_grad_norm=k, ratio=ratio, cosine=cosine,
    )



def configure_kl_share(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``othink-bench kl-share`` and ``python -m trainers.kl_share``."""
    parser.add_argument("--policy", required=True,
                        help="policy checkpoint folder (or 'tiny': the bundled model)")
    parser.add_argument("--reference", default=None,
                        help="reference checkpoint (default: the policy's recorded base model, "
                        "from its othink_checkpoint.json; 'tiny' = the bundled model)")
    parser.add_argument("--task", required=True, help="task id, e.g. gr-synth-tiny")
    parser.add_argument("--beta", type=float, required=True, help="KL weight")
    parser.add_argument("--prompts", type=int, default=16, help="validation prompts (16)")
    parser.add_argument("--generations", type=int, default=8, help="completions per prompt (8)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    parser.add_argument("--alpha", type=float, default=None,
                        help="format-reward weight (default: the training's)")
    parser.add_argument("--recipe", default=None,
                        help="recipe for the sampling settings (default: the one recorded in "
                        "the checkpoint, else the base model's)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="GRPO settings over the recipe (e.g. max_completion_length=48)")


def execute_kl_share(args: argparse.Namespace) -> int:
    from othink_bench.models.provenance import CheckpointMetaError
    from othink_bench.strict_json import dumps
    from trainers.commands import user_errors
    from trainers.recipes.resolve import parse_overrides

    errors: tuple[type[BaseException], ...] = (*user_errors(), CheckpointMetaError)
    try:
        result = measure(args.policy, task=args.task, beta=args.beta, reference=args.reference,
                         prompts=args.prompts, generations=args.generations, seed=args.seed,
                         alpha=args.alpha, recipe=args.recipe,
                         overrides=parse_overrides(args.overrides))
    except errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(dumps(result.to_json()) if args.json else result.render())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from othink_bench.quiet import quiet_libraries

    parser = argparse.ArgumentParser(prog="python -m trainers.kl_share", description=DESCRIPTION)
    configure_kl_share(parser)
    args = parser.parse_args(argv)
    quiet_libraries()
    return execute_kl_share(args)


if __name__ == "__main__":
    sys.exit(main())

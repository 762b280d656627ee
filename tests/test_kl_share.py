"""trainers.kl_share: the gradient share of the KL term against the policy term of a GRPO update.

The formulas are checked by hand on small tensors; the instrument end to end on the bundled tiny
model (reference = policy: KL and its gradient exactly 0) and on a perturbed copy of it saved to
tmp_path (KL gradient nonzero and linear in beta; constant rewards: no policy gradient, ratio
inf); and the gradient of policy + beta x KL against the gradient of TRL's own
``GRPOTrainer.compute_loss`` on the same inputs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from othink_bench.models.provenance import CHECKPOINT_META
from othink_bench.models.tiny import resolve_model
from trainers.recipes import ConfigError

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TASK = "gr-synth-tiny"


def test_group_advantages_match_trl_formula() -> None:
    from trainers.kl_share import ADV_EPS, group_advantages

    rewards = torch.tensor([2.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    adv, zero = group_advantages(rewards, 4)
    std = math.sqrt(((1.0) ** 2 + 0 + 0 + 1.0) / 3)  # Bessel-corrected, mean 1
    expected = [1 / (std + ADV_EPS), 0.0, 0.0, -1 / (std + ADV_EPS), 0.0, 0.0, 0.0, 0.0]
    assert adv.tolist() == pytest.approx(expected, rel=1e-6)
    assert zero.tolist() == [False] * 4 + [True] * 4


def test_loss_terms_by_hand() -> None:
    from trainers.kl_share import loss_terms

    logps = torch.tensor([[-1.0, -2.0, -0.5], [-0.3, -0.7, -9.0]], requires_grad=True)
    ref = torch.tensor([[-1.5, -1.0, -3.0], [-0.3, -0.2, -1.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    adv = torch.tensor([0.5, -2.0])
    policy, kl = loss_terms(logps, ref, adv, mask)
    kl_value, policy_value = kl.item(), policy.item()

    def k3(lp: float, rf: float) -> float:
        d = rf - lp
        return math.exp(d) - d - 1

    kl_hand = ((k3(-1.0, -1.5) + k3(-2.0, -1.0)) / 2
               + (k3(-0.3, -0.3) + k3(-0.7, -0.2) + k3(-9.0, -1.0)) / 3) / 2
    assert kl_value == pytest.approx(kl_hand, rel=1e-6)
    assert policy_value == pytest.approx(-(0.5 + -2.0) / 2, rel=1e-6)  # ratio 1 in value
    (grad,) = torch.autograd.grad(policy, logps)
    # d/dlogp of -A * exp(logp - sg(logp)) / len / B = -A / len / B on unmasked tokens
    expected = torch.tensor([[-0.5 / 2 / 2, -0.5 / 2 / 2, 0.0], [2.0 / 3 / 2] * 3])
    assert torch.allclose(grad, expected)
    (grad_kl,) = torch.autograd.grad(kl, logps)
    # d k3 / d logp = 1 - exp(ref - logp)
    assert float(grad_kl[1, 2]) == pytest.approx((1 - math.exp(-1.0 + 9.0)) / 3 / 2, rel=1e-6)
    assert float(grad_kl[0, 2]) == 0.0


def test_summarise_reports_inf_and_undefined() -> None:
    from trainers.kl_share import summarise

    zero, g = torch.zeros(3, dtype=torch.float64), torch.tensor([3.0, 0.0, 4.0], dtype=torch.float64)
    assert summarise(g, g, 0.5) == (5.0, 2.5, 0.5, pytest.approx(1.0))
    assert summarise(g, -g, 0.5)[3] == pytest.approx(-1.0)
    p, k, ratio, cosine = summarise(zero, g, 0.1)
    assert (p, k, math.isinf(ratio), cosine) == (0.0, pytest.approx(0.5), True, None)
    assert math.isnan(summarise(zero, zero, 0.1)[2])


@pytest.fixture(scope="module")
def perturbed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled tiny model with every weight perturbed (seeded), saved with its processor
    and an othink_checkpoint.json naming ``tiny`` as its base model."""
    from transformers import AutoModelForImageTextToText

    from othink_bench.models.processor import load_processor

    folder = tmp_path_factory.mktemp("perturbed")
    tiny = resolve_model("tiny")
    model = AutoModelForImageTextToText.from_pretrained(tiny, dtype=torch.float32)
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.02)
    model.save_pretrained(folder)
    load_processor(tiny).save_pretrained(folder)
    (folder / CHECKPOINT_META).write_text(json.dumps(
        {"method": "grpo", "base_model": "tiny", "task": TASK, "step": 1}))
    return folder


def test_reference_equal_to_policy_gives_zero_kl() -> None:
    from trainers.kl_share import measure

    r = measure("tiny", reference="tiny", task=TASK, beta=0.04, prompts=2, generations=6)
    assert r.mean_kl == 0.0 and r.kl_grad_norm == 0.0 and r.ratio == 0.0
    assert r.policy_grad_norm > 0 and r.cosine is None
    assert (r.prompts, r.generations, r.max_completion_length) == (2, 6, 48)  # tiny recipe
    assert r.completion_tokens > 0


def test_kl_gradient_is_linear_in_beta(perturbed: Path) -> None:
    from trainers.kl_share import measure

    # no --reference: the checkpoint's recorded base model, "tiny"
    a = measure(str(perturbed), task=TASK, beta=0.02, prompts=2, generations=4, seed=3)
    b = measure(str(perturbed), task=TASK, beta=0.04, prompts=2, generations=4, seed=3)
    assert a.reference == "tiny"
    assert a.mean_kl > 0 and a.kl_grad_norm > 0
    # same seed: the same completions, rewards and policy gradient
    assert (a.completion_tokens, a.mean_reward, a.policy_grad_norm) == (
        b.completion_tokens, b.mean_reward, b.policy_grad_norm)
    assert b.kl_grad_norm == pytest.approx(2 * a.kl_grad_norm, rel=1e-6)
    assert b.ratio == pytest.approx(2 * a.ratio, rel=1e-6)
    assert a.cosine == pytest.approx(b.cosine, rel=1e-6)
    assert a.to_json()["ratio"] == a.ratio


def _models(policy: Path) -> tuple[Any, Any, Any]:
    from transformers import AutoModelForImageTextToText

    from othink_bench.models.processor import load_processor

    model = AutoModelForImageTextToText.from_pretrained(policy, dtype=torch.float32).eval()
    ref = AutoModelForImageTextToText.from_pretrained(resolve_model("tiny"),
                                                      dtype=torch.float32).eval()
    return model, ref, load_processor(policy)


def _rows(n: int) -> list[dict[str, Any]]:
    from othink_bench.registry import get_task
    from trainers.data import task_dataset

    dataset, _ = task_dataset(get_task(TASK), train_samples=n, seed=1, max_pixels=12544)
    return [dataset[i] for i in range(len(dataset))]


def _config(tmp: Path, beta: float) -> Any:
    from trainers.config import GRPODConfig

    return GRPODConfig(output_dir=str(tmp), beta=beta, max_completion_length=16,
                       num_generations=4, per_device_train_batch_size=4, report_to="none")


def test_equal_rewards_give_no_policy_gradient(perturbed: Path, tmp_path: Path) -> None:
    from trainers.kl_share import KLShare, gradients, sample_groups, summarise

    model, ref, processor = _models(perturbed)

    def constant(completions: list[Any], **_: Any) -> list[float]:
        return [1.0] * len(completions)

    groups = sample_groups(model, processor, _rows(2), [constant], [1.0],
                           _config(tmp_path, 0.04), generations=4, seed=0)
    assert all(g.zero_std and not g.advantages.any() for g in groups)
    policy_grad, kl_grad, mean_kl, _ = gradients(model, ref, groups, 1.0)
    p, k, ratio, cosine = summarise(policy_grad, kl_grad, 0.04)
    assert p == 0.0 and k > 0 and math.isinf(ratio) and cosine is None
    share = KLShare("p", "r", TASK, 0.04, 1.0, 2, 4, 0, 1.0, 16, 10, 1.0, 1.0, mean_kl, p, k,
                    ratio, cosine)
    out = share.to_json()
    assert out["ratio"] is None and out["ratio_note"].startswith("infinite")
    assert "inf" in share.render()


def test_terms_match_trl_compute_loss(perturbed: Path, tmp_path: Path) -> None:
    """grad(policy) + beta * grad(KL) here == grad of TRL's GRPOTrainer.compute_loss, on the
    same prompt, completions, advantages and reference log-probabilities."""
    from othink_bench.models.processor import load_processor
    from othink_bench.registry import get_task
    from trainers.data import task_dataset
    from trainers.grpo import build_grpo_trainer, task_rewards
    from trainers.kl_share import completion_logps, gradients, loss_terms, sample_groups

    beta = 0.05
    task = get_task(TASK)
    config = _config(tmp_path, beta)
    dataset, _ = task_dataset(task, train_samples=2, seed=1, max_pixels=12544)
    trainer, _ = build_grpo_trainer(task, str(perturbed), load_processor(perturbed), config,
                                    dataset)
    model = trainer.model
    model.eval()  # TRL's eval mode: no division by the gradient-accumulation steps
    _, ref, processor = _models(perturbed)
    rows = [dataset[i] for i in range(len(dataset))]
    groups = sample_groups(model, processor, rows[:1], task_rewards(task, config), [1.0, 1.0],
                           config, generations=4, seed=1)
    (g,) = groups
    if g.zero_std:  # pragma: no cover - seed chosen so that the group has reward variance
        pytest.skip("sampled group has no reward variance")

    policy_grad, kl_grad, _, _ = gradients(model, ref, groups, 1.0)
    ours = policy_grad + beta * kl_grad

    n = g.completion_ids.size(0)
    prompt = g.prompt
    with torch.no_grad():
        ref_logps = completion_logps(ref, prompt, g.completion_ids, g.completion_mask, 1.0)
        logps = completion_logps(model, prompt, g.completion_ids, g.completion_mask, 1.0)
        p_val, k_val = loss_terms(logps, ref_logps, g.advantages, g.completion_mask.float())
    inputs = {
        "prompt_ids": prompt["input_ids"].expand(n, -1),
        "prompt_mask": prompt["attention_mask"].expand(n, -1),
        "completion_ids": g.completion_ids,
        "completion_mask": g.completion_mask,
        "advantages": g.advantages,
        "ref_per_token_logps": ref_logps,
        "pixel_values": prompt["pixel_values"].repeat(n, 1),
        "image_grid_thw": prompt["image_grid_thw"].repeat(n, 1),
        "num_images": [1] * n,
        "mm_token_type_ids": torch.cat([prompt["mm_token_type_ids"].expand(n, -1),
                                        torch.zeros_like(g.completion_ids)], dim=1),
    }
    model.zero_grad(set_to_none=True)
    loss = trainer.compute_loss(model, inputs)
    assert float(loss) == pytest.approx(float(p_val) + beta * float(k_val), rel=1e-4, abs=1e-7)
    loss.backward()
    trl_grad = torch.cat([(p.grad if p.grad is not None else torch.zeros_like(p)).reshape(-1)
                          for p in model.parameters() if p.requires_grad]).double()
    assert float(trl_grad.norm()) > 0
    assert float((trl_grad - ours).norm()) <= 1e-4 * float(trl_grad.norm())


def test_refusals(tmp_path: Path) -> None:
    from trainers.kl_share import main, measure

    with pytest.raises(ConfigError, match="othink_checkpoint.json"):
        measure(str(tmp_path), task=TASK, beta=0.1)
    with pytest.raises(ConfigError, match="validation stream"):
        measure("tiny", reference="tiny", task=TASK, beta=0.1, data_seed=0)
    assert main(["--policy", str(tmp_path), "--task", TASK, "--beta", "0.1"]) == 2

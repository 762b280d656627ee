"""Load vision-language checkpoints and their processors, with or without torchvision.

Why: several stock processors (``Qwen2VLProcessor``, ``Qwen2_5_VLProcessor``, ``Qwen3VLProcessor``,
``LlavaOnevisionProcessor``, ``SmolVLMProcessor``, ``InternVLProcessor``) always build a video
processor, and every transformers video processor imports torchvision, while their *image*
processors have a PIL (numpy) backend that does not. The machines this project is built and tested
on cannot install torchvision, yet everything here is image-only. So where torchvision is
importable :func:`load_processor` returns the stock ``AutoProcessor``; where it is not, it returns
an *image-only* subclass (:mod:`othink_bench.models.image_only`) of the stock processor that has no video processor attribute and
otherwise runs the stock code (same chat template, same image-token expansion, same
``pixel_values``), using transformers' PIL image-processor backend. Families whose processor has
no video processor (LLaVA, Idefics3, Gemma3) load through the stock ``AutoProcessor`` either way.

The image-only processors save themselves under the stock class names, so a checkpoint a trainer
writes through them loads with the stock ``AutoProcessor`` on a machine that has torchvision.

:func:`load_model` picks the right model class for ``qwen2_vl``/``qwen2_5_vl`` configs (any other
vision-language config goes through ``AutoModelForImageTextToText``), a dtype and a device, and
turns the usual failure modes (missing folder, hub unreachable) into errors that name the fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from othink_bench.models.image_only import IMAGE_ONLY_PROCESSORS, PROCESSOR_CLASS_TO_TYPE

__all__ = [
    "ModelLoadError",
    "load_model",
    "load_processor",
    "resolve_device",
    "resolve_dtype",
    "torchvision_available",
]

_OFFLINE_HINT = "pass a local checkpoint folder or a hub id; offline machines can use --model tiny"


class ModelLoadError(OSError):
    """A checkpoint or its processor could not be loaded; the message says what to do."""


def torchvision_available() -> bool:
    """Whether torchvision can be imported (the stock Qwen2-VL processor needs it).

    Tests monkeypatch this function to exercise the image-only path on machines that have it.
    """
    from transformers.utils import is_torchvision_available

    return bool(is_torchvision_available())


_LOCAL_PREFIXES = ("/", "./", "../", "~", ".\\", "..\\")


def _looks_local(name: str) -> bool:
    """A string that can only be a filesystem path (hub ids are ``name`` or ``org/name``)."""
    return (
        name.startswith(_LOCAL_PREFIXES)
        or name in (".", "..")
        or name.count("/") > 1
        or "\\" in name
        or (len(name) > 1 and name[1] == ":")
    )


def _check_source(path: str) -> None:
    """Fail early, and clearly, for a folder that is missing or is not a checkpoint."""
    p = Path(path).expanduser()
    if p.exists():
        if not p.is_dir():
            raise ModelLoadError(f"{path!r} is a file, not a checkpoint folder; {_OFFLINE_HINT}")
        if not (p / "config.json").is_file():
            raise ModelLoadError(
                f"{path!r} is a folder but not a checkpoint (no config.json in it); {_OFFLINE_HINT}"
            )
        return
    if _looks_local(path):
        raise ModelLoadError(f"no checkpoint folder at {path!r}; {_OFFLINE_HINT}")


def _hub_error(path: str, err: Exception) -> ModelLoadError:
    return ModelLoadError(
        f"could not load {path!r}: it is not a local folder, and the hub could not provide it "
        f"(offline, or no such repository: {type(err).__name__}: {err}); {_OFFLINE_HINT}"
    )


def _model_type(path: str, trust_remote_code: bool) -> str | None:
    """The checkpoint's ``model_type``, read from its files (or its hub config)."""
    p = Path(path).expanduser()
    if p.is_dir():
        for name, key in (
            ("config.json", "model_type"),
            ("processor_config.json", "processor_class"),
            ("preprocessor_config.json", "processor_class"),
        ):
            try:
                value = json.loads((p / name).read_text(encoding="utf-8")).get(key)
            except (OSError, ValueError):
                continue
            if isinstance(value, str) and value:
                return PROCESSOR_CLASS_TO_TYPE.get(value, value) if key != "model_type" else value
        return None
    from transformers import AutoConfig

    try:
        return str(AutoConfig.from_pretrained(path, trust_remote_code=trust_remote_code).model_type)
    except OSError as err:
        raise _hub_error(path, err) from err


def load_processor(path: str | Path, *, trust_remote_code: bool = False, **kw: Any) -> Any:
    """Load the processor of a vision-language checkpoint (``"tiny"`` names the tiny model).

    With torchvision: the stock ``AutoProcessor.from_pretrained(path, **kw)``. Without it: for
    the model types in :data:`IMAGE_ONLY_PROCESSORS` the image-only subclass of the stock processor
    (same outputs for ``images=``/``text=``); for other model types the stock ``AutoProcessor``
    (LLaVA, Idefics3 and Gemma3 need no torchvision) and a failure names the missing torchvision. Extra ``kw`` (e.g. ``padding_side="left"``) go to
    ``from_pretrained`` as they would for the stock processor.
    """
    from transformers import AutoProcessor

    from othink_bench.models.tiny import resolve_model

    name = resolve_model(str(path))
    _check_source(name)
    if torchvision_available():
        try:
            return AutoProcessor.from_pretrained(name, trust_remote_code=trust_remote_code, **kw)
        except OSError as err:
            if Path(name).expanduser().is_dir():
                raise
            raise _hub_error(name, err) from err

    cls = IMAGE_ONLY_PROCESSORS.get(_model_type(name, trust_remote_code) or "")
    if cls is not None:
        try:
            return cls.from_pretrained(name, **kw)
        except OSError as err:
            if Path(name).expanduser().is_dir():
                raise
            raise _hub_error(name, err) from err
    try:
        return AutoProcessor.from_pretrained(name, trust_remote_code=trust_remote_code, **kw)
    except ImportError as err:
        raise ModelLoadError(
            f"the processor of {name!r} needs torchvision, which is not installed, and "
            f"othink-bench has an image-only processor only for {sorted(IMAGE_ONLY_PROCESSORS)} "
            f"checkpoints; install torchvision ({err})"
        ) from err


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` -> ``"cuda"`` when a GPU is visible, else ``"cpu"``; anything else unchanged."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelLoadError(f"device {device!r} asked for, but no CUDA GPU is visible; use cpu")
    return device


_DTYPES = {
    "bf16": "bfloat16",
    "bfloat16": "bfloat16",
    "fp16": "float16",
    "float16": "float16",
    "half": "float16",
    "fp32": "float32",
    "float32": "float32",
    "float": "float32",
}


def resolve_dtype(dtype: Any = "auto", device: str = "cpu") -> Any:
    """``"auto"`` -> bfloat16 on CUDA, float32 elsewhere; names like ``"bf16"`` -> torch dtypes."""
    import torch

    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        return torch.bfloat16 if str(device).startswith("cuda") else torch.float32
    try:
        return getattr(torch, _DTYPES[str(dtype).lower()])
    except KeyError:
        raise ValueError(f"unknown dtype {dtype!r}; use auto, bf16, fp16 or fp32") from None


def _model_class(config: Any) -> Any:
    model_type = getattr(config, "model_type", None)
    if model_type == "qwen2_vl":
        from transformers import Qwen2VLForConditionalGeneration

        return Qwen2VLForConditionalGeneration
    if model_type == "qwen2_5_vl":
        from transformers import Qwen2_5_VLForConditionalGeneration

        return Qwen2_5_VLForConditionalGeneration
    from transformers import AutoModelForImageTextToText

    return AutoModelForImageTextToText


def load_model(
    path: str | Path,
    *,
    dtype: Any = "auto",
    device: str = "auto",
    trust_remote_code: bool = False,
    attn_implementation: str | None = None,
) -> tuple[Any, Any]:
    """Load ``(model, processor)`` from a checkpoint folder or hub id (``"tiny"`` works too).

    ``dtype="auto"`` is bfloat16 on CUDA and float32 otherwise; ``device="auto"`` is ``cuda`` when
    a GPU is visible, else ``cpu``. With more than one visible GPU the model is spread over them
    with ``device_map="auto"``; otherwise it is moved to the one device. The model is in eval mode.
    """
    import torch
    from transformers import AutoConfig

    from othink_bench.models.tiny import resolve_model

    name = resolve_model(str(path))
    _check_source(name)
    dev = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, dev)
    try:
        config = AutoConfig.from_pretrained(name, trust_remote_code=trust_remote_code)
    except OSError as err:
        if Path(name).expanduser().is_dir():
            raise ModelLoadError(f"cannot read the config of {name!r}: {err}") from err
        raise _hub_error(name, err) from err
    except ValueError as err:
        raise ModelLoadError(
            f"{name!r} has a model type transformers does not know ({err}); upgrade transformers, "
            "or pass trust_remote_code=True only if you trust that checkpoint's code"
        ) from err

    kwargs: dict[str, Any] = {
        "config": config,
        "dtype": torch_dtype,
        "trust_remote_code": trust_remote_code,
    }
    if attn_implementation is not None:
        kwargs["attn_implementation"] = attn_implementation
    spread = dev == "cuda" and torch.cuda.device_count() > 1
    if spread:
        kwargs["device_map"] = "auto"
    cls = _model_class(config)
    try:
        model = cls.from_pretrained(name, **kwargs)
    except ValueError as err:
        if "Unrecognized configuration class" in str(err):
            raise ModelLoadError(
                f"{name!r} ({config.model_type}) is not a vision-language (image-text-to-text) "
                "checkpoint; othink-bench tasks need one that takes images"
            ) from err
        raise
    except OSError as err:
        if Path(name).expanduser().is_dir():
            raise ModelLoadError(
                f"{name!r} has a config but its weights could not be loaded: {err}"
            ) from err
        raise _hub_error(name, err) from err
    if not spread:
        model = model.to(dev)
    model.eval()
    processor = load_processor(name, trust_remote_code=trust_remote_code)
    return model, processor

"""Load vision-language checkpoints and their processors, with or without torchvision.

Why: several stock processors (``Qwen2VLProcessor``, ``Qwen2_5_VLProcessor``, ``Qwen3VLProcessor``,
``LlavaOnevisionProcessor``, ``SmolVLMProcessor``, ``InternVLProcessor``) always build a video
processor, and every transformers video processor imports torchvision, while their *image*
processors have a PIL (numpy) backend that does not. The machines this project is built and tested
on cannot install torchvision, yet everything here is image-only. So where torchvision is
importable :func:`load_processor` returns the stock ``AutoProcessor``; where it is not, it returns
an *image-only* subclass of the stock processor that has no video processor attribute and
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
import os
from pathlib import Path
from typing import Any

from transformers import (
    InternVLProcessor,
    LlavaOnevisionProcessor,
    ProcessorMixin,
    Qwen2_5_VLProcessor,
    Qwen2VLProcessor,
    Qwen3VLProcessor,
    SmolVLMProcessor,
)

__all__ = [
    "IMAGE_ONLY_PROCESSORS",
    "ImageOnlyInternVLProcessor",
    "ImageOnlyLlavaOnevisionProcessor",
    "ImageOnlyQwen2VLProcessor",
    "ImageOnlyQwen2_5_VLProcessor",
    "ImageOnlyQwen3VLProcessor",
    "ImageOnlySmolVLMProcessor",
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


class _StockNameMixin:
    """What the image-only processors add to the stock ones.

    Videos are refused with a message (instead of being silently dropped), and the processor saves
    under the stock class name so stock loaders can read the folder back.
    """

    stock_class_name: str = ""

    def validate_inputs(
        self,
        images: Any = None,
        text: Any = None,
        videos: Any = None,
        audio: Any = None,
        **kwargs: Any,
    ) -> None:
        if videos is not None:
            raise ValueError(
                f"{type(self).__name__} is image-only (torchvision is not installed, and the "
                f"{self.stock_class_name} video processor needs it); pass images, or install "
                "torchvision for videos"
            )
        super().validate_inputs(  # type: ignore[misc]
            images=images, text=text, videos=videos, audio=audio, **kwargs
        )

    def to_dict(self) -> dict[str, Any]:
        output: dict[str, Any] = super().to_dict()  # type: ignore[misc]
        output["processor_class"] = self.stock_class_name
        return output

    def save_pretrained(
        self, save_directory: str | os.PathLike[str], push_to_hub: bool = False, **kwargs: Any
    ) -> list[str]:
        if push_to_hub:
            raise NotImplementedError(
                "save the processor to a folder and upload that folder; the image-only processor "
                "renames its class in the saved files after writing them"
            )
        files: list[str] = super().save_pretrained(save_directory, **kwargs)  # type: ignore[misc]
        own = type(self).__name__
        for name in ("tokenizer_config.json", "processor_config.json", "preprocessor_config.json"):
            path = Path(save_directory, name)
            if not path.is_file():
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("processor_class") == own:
                data["processor_class"] = self.stock_class_name
                path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
        return files


class ImageOnlyQwen2VLProcessor(_StockNameMixin, Qwen2VLProcessor):
    """``Qwen2VLProcessor`` without the video processor (so without torchvision).

    Its sub-processors are only ``image_processor`` and ``tokenizer`` (transformers reads them off
    ``__init__``'s signature); everything else - ``__call__(images=..., text=...)``,
    ``apply_chat_template``, image-token expansion, ``mm_token_type_ids`` - is the stock code.
    Passing ``videos=`` is an error.
    """

    stock_class_name = "Qwen2VLProcessor"

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)


class ImageOnlyQwen2_5_VLProcessor(_StockNameMixin, Qwen2_5_VLProcessor):
    """``Qwen2_5_VLProcessor`` without the video processor (so without torchvision)."""

    stock_class_name = "Qwen2_5_VLProcessor"

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)


class ImageOnlyQwen3VLProcessor(_StockNameMixin, Qwen3VLProcessor):
    """``Qwen3VLProcessor`` without the video processor (its image processor is Qwen2-VL's)."""

    stock_class_name = "Qwen3VLProcessor"

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)


class ImageOnlyLlavaOnevisionProcessor(_StockNameMixin, LlavaOnevisionProcessor):
    """``LlavaOnevisionProcessor`` without the video processor.

    Its own settings stay named in the signature: transformers saves and loads a processor's
    settings by the names ``__init__`` takes.
    """

    stock_class_name = "LlavaOnevisionProcessor"

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        num_image_tokens: int | None = None,
        vision_feature_select_strategy: str | None = None,
        chat_template: str | None = None,
        image_token: str = "<image>",
        video_token: str = "<video>",
        vision_aspect_ratio: str = "anyres_max_9",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            image_processor,
            tokenizer,
            video_processor=None,
            num_image_tokens=num_image_tokens,
            vision_feature_select_strategy=vision_feature_select_strategy,
            chat_template=chat_template,
            image_token=image_token,
            video_token=video_token,
            vision_aspect_ratio=vision_aspect_ratio,
            **kwargs,
        )


class ImageOnlyInternVLProcessor(_StockNameMixin, InternVLProcessor):
    """``InternVLProcessor`` without the video processor."""

    stock_class_name = "InternVLProcessor"

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        image_seq_length: int = 256,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            image_processor,
            tokenizer,
            video_processor=None,
            image_seq_length=image_seq_length,
            chat_template=chat_template,
            **kwargs,
        )


class ImageOnlySmolVLMProcessor(_StockNameMixin, SmolVLMProcessor):
    """``SmolVLMProcessor`` (SmolVLM, SmolVLM2) without the video processor.

    SmolVLM's own ``apply_chat_template`` only adds video defaults (frames, fps, read off the
    video processor) before calling the generic one; without a video processor the generic one
    is called directly. The stock processor needs the ``num2words`` package.
    """

    stock_class_name = "SmolVLMProcessor"

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        image_seq_len: int = 169,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            image_processor,
            tokenizer,
            video_processor=None,
            image_seq_len=image_seq_len,
            chat_template=chat_template,
            **kwargs,
        )

    def apply_chat_template(  # type: ignore[override]
        self, conversation: Any, chat_template: str | None = None, **kwargs: Any
    ) -> Any:
        return ProcessorMixin.apply_chat_template(self, conversation, chat_template, **kwargs)


#: model_type -> the image-only processor used for it when torchvision is missing.
IMAGE_ONLY_PROCESSORS: dict[str, type[Any]] = {
    "qwen2_vl": ImageOnlyQwen2VLProcessor,
    "qwen2_5_vl": ImageOnlyQwen2_5_VLProcessor,
    "qwen3_vl": ImageOnlyQwen3VLProcessor,
    "llava_onevision": ImageOnlyLlavaOnevisionProcessor,
    "smolvlm": ImageOnlySmolVLMProcessor,
    "internvl": ImageOnlyInternVLProcessor,
}
_PROCESSOR_CLASS_TO_TYPE = {
    cls.stock_class_name: model_type for model_type, cls in IMAGE_ONLY_PROCESSORS.items()
}

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
                return _PROCESSOR_CLASS_TO_TYPE.get(value, value) if key != "model_type" else value
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

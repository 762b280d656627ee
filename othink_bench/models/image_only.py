"""Image-only subclasses of the stock vision-language processors (no torchvision needed).

Several stock processors (``Qwen2VLProcessor``, ``Qwen2_5_VLProcessor``, ``Qwen3VLProcessor``,
``LlavaOnevisionProcessor``, ``SmolVLMProcessor``, ``InternVLProcessor``) always build a video
processor, and every transformers video processor imports torchvision. The subclasses here have
no video processor attribute and otherwise run the stock code; they save themselves under the
stock class names. :func:`othink_bench.models.processor.load_processor` picks them when
torchvision is missing; :func:`othink_bench.models.tiny.build_tiny` writes the tiny model with one.
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
    "PROCESSOR_CLASS_TO_TYPE",
    "ImageOnlyInternVLProcessor",
    "ImageOnlyLlavaOnevisionProcessor",
    "ImageOnlyQwen2VLProcessor",
    "ImageOnlyQwen2_5_VLProcessor",
    "ImageOnlyQwen3VLProcessor",
    "ImageOnlySmolVLMProcessor",
]


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


class _QwenImageOnly(_StockNameMixin):
    """The Qwen-VL processors' shared ``__init__`` with no video processor: their sub-processors
    are then only ``image_processor`` and ``tokenizer`` (transformers reads them off this
    signature)."""

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(  # type: ignore[call-arg]
            image_processor, tokenizer, None, chat_template=chat_template, **kwargs
        )


class ImageOnlyQwen2VLProcessor(_QwenImageOnly, Qwen2VLProcessor):
    """``Qwen2VLProcessor`` without the video processor (so without torchvision).

    Its sub-processors are only ``image_processor`` and ``tokenizer`` (transformers reads them off
    ``__init__``'s signature); everything else - ``__call__(images=..., text=...)``,
    ``apply_chat_template``, image-token expansion, ``mm_token_type_ids`` - is the stock code.
    Passing ``videos=`` is an error.
    """

    stock_class_name = "Qwen2VLProcessor"


class ImageOnlyQwen2_5_VLProcessor(_QwenImageOnly, Qwen2_5_VLProcessor):
    """``Qwen2_5_VLProcessor`` without the video processor (so without torchvision)."""

    stock_class_name = "Qwen2_5_VLProcessor"


class ImageOnlyQwen3VLProcessor(_QwenImageOnly, Qwen3VLProcessor):
    """``Qwen3VLProcessor`` without the video processor (its image processor is Qwen2-VL's)."""

    stock_class_name = "Qwen3VLProcessor"


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
PROCESSOR_CLASS_TO_TYPE = {
    cls.stock_class_name: model_type for model_type, cls in IMAGE_ONLY_PROCESSORS.items()
}

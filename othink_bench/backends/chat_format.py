"""The chat-completions wire format: prompts with images out, reply text in.

Kept apart from the transport (:mod:`othink_bench.backends.openai`) because both directions are
pure functions of their input, tested without a server: images travel as base64 PNG data URLs
in ``image_url`` parts; a reply whose reasoning a server split off (``reasoning_content``,
``reasoning``) is put back as ``<think>{reasoning}</think>{content}``.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from PIL import Image


def image_data_url(image: Image.Image) -> str:
    """An image as a ``data:image/png;base64,...`` URL."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def to_openai_messages(
    messages: list[dict[str, Any]], images: Sequence[Image.Image]
) -> list[dict[str, Any]]:
    """Replace ``{"type": "image"}`` placeholders with ``image_url`` parts, in order."""
    pending = list(images)
    out: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            out.append({"role": message["role"], "content": content})
            continue
        parts: list[dict[str, Any]] = []
        for part in content:
            kind = part.get("type")
            if kind == "image":
                if not pending:
                    raise ValueError("prompt has more image placeholders than images")
                parts.append(
                    {"type": "image_url", "image_url": {"url": image_data_url(pending.pop(0))}}
                )
            elif kind == "text":
                parts.append({"type": "text", "text": part.get("text", "")})
            else:
                parts.append(dict(part))
        out.append({"role": message["role"], "content": parts})
    if pending:
        raise ValueError(f"{len(pending)} image(s) have no placeholder in the prompt")
    return out


#: Message fields servers move the reasoning into, in the order they are read.
REASONING_FIELDS = ("reasoning_content", "reasoning")


def reply_text(message: dict[str, Any], *, merge: bool = True) -> tuple[str, str | None]:
    """A chat message's text and, when its reasoning was split off and is put back, the field
    it came from: ``<think>{reasoning}</think>{content}``.

    Nothing is rebuilt when ``merge`` is off, when no reasoning field holds text, or when
    ``content`` already opens with ``<think>`` (a server that returns it in both places).
    """
    content = _content_text(message.get("content"))
    if not merge or content.lstrip().startswith("<think>"):
        return content, None
    for name in REASONING_FIELDS:
        reasoning = message.get(name)
        if isinstance(reasoning, str) and reasoning:
            return f"<think>{reasoning}</think>{content}", name
    return content, None


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # some servers answer with content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)

"""Run ``transformers serve`` (the real server) in this process, for the endpoint tests.

Where torchvision is missing, transformers' stock ``AutoProcessor`` cannot build a Qwen2-VL
processor (its video processor needs torchvision), so ``transformers serve`` could not load the
tiny checkpoint. This launcher points ``transformers.AutoProcessor.from_pretrained`` at
othink-bench's loader (the image-only processor there, the stock one where torchvision exists)
and then runs the stock ``transformers serve`` command line unchanged: its routes, its response
parsing (the part that splits ``<think>`` into ``reasoning_content``), its ``/v1/models``.

The patch is made when this module is imported, not in ``main``: since transformers 5.25 the
server loads the model in a child process started with ``spawn``, and such a child imports the
parent's main module again (as ``__mp_main__``, without running its ``__main__`` block), so a
patch made at import reaches the process that loads the processor, and one made in ``main``
does not.

    python tests/serve_fixtures.py MODEL_DIR --port N --device cpu
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _load_processor(name: str, *args: Any, **kwargs: Any) -> Any:
    from othink_bench.models.processor import load_processor

    return load_processor(name, trust_remote_code=bool(kwargs.get("trust_remote_code")))


def patch_auto_processor() -> None:
    """Route ``AutoProcessor.from_pretrained`` through othink-bench's processor loader."""
    import transformers

    transformers.AutoProcessor.from_pretrained = _load_processor  # type: ignore[method-assign]


patch_auto_processor()  # here and in every spawned child that re-imports this module


def main(argv: list[str]) -> None:
    from transformers.cli.transformers import main as transformers_main

    sys.argv = ["transformers", "serve", *argv]
    transformers_main()


if __name__ == "__main__":
    main(sys.argv[1:])

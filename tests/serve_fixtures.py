"""Run ``transformers serve`` (the real server) in this process, for the endpoint tests.

Where torchvision is missing, transformers' stock ``AutoProcessor`` cannot build a Qwen2-VL
processor (its video processor needs torchvision), so ``transformers serve`` could not load the
tiny checkpoint. This launcher points ``transformers.AutoProcessor.from_pretrained`` at
othink-bench's loader (the image-only processor there, the stock one where torchvision exists)
and then runs the stock ``transformers serve`` command line unchanged: its routes, its response
parsing (the part that splits ``<think>`` into ``reasoning_content``), its ``/v1/models``.

    python tests/serve_fixtures.py MODEL_DIR --port N --device cpu
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> None:
    import transformers
    from transformers.cli.transformers import main as transformers_main

    from othink_bench.models.processor import load_processor

    def from_pretrained(name: str, *args: Any, **kwargs: Any) -> Any:
        return load_processor(name, trust_remote_code=bool(kwargs.get("trust_remote_code")))

    transformers.AutoProcessor.from_pretrained = from_pretrained  # type: ignore[method-assign]
    sys.argv = ["transformers", "serve", *argv]
    transformers_main()


if __name__ == "__main__":
    main(sys.argv[1:])

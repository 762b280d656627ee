"""Generation backends behind one small protocol (see :mod:`othink_bench.backends.base`);
:func:`make_backend` (:mod:`othink_bench.backends.factory`) builds one by name.

``hf`` (transformers, in process), ``vllm`` (optional, GPU), ``openai`` (any OpenAI-compatible
endpoint, standard library only) and ``scripted`` (known outputs, for tests and examples).
Only the light pieces are imported here; each backend imports its heavy dependencies itself.
"""

from othink_bench.backends.base import Backend, GenRequest, GenResult, generate_all
from othink_bench.backends.factory import BACKENDS, make_backend
from othink_bench.backends.scripted import ScriptedBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "GenRequest",
    "GenResult",
    "ScriptedBackend",
    "generate_all",
    "make_backend",
]

"""Keep the libraries' own progress bars and unactionable warnings off the terminal.

transformers draws a "Loading weights" bar for every model it loads (twice for a GRPO policy
and its reference), datasets one for every cast or map; their carriage returns interleave with
the harness's evaluation bar and the training bar. The commands that load models call
:func:`quiet_libraries` once, so each phase shows exactly one bar of ours.

Each library is quieted when it is first imported (at once, if it already is): a run that never
needs datasets (synthetic data) or transformers (an endpoint, a scripted backend) does not import
them just to switch their bars off - datasets alone costs about half a CPU second of start-up.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

_Hook = Callable[[ModuleType], None]


def _quiet_datasets(module: ModuleType) -> None:
    module.disable_progress_bars()


def _quiet_transformers(module: ModuleType) -> None:
    # also huggingface_hub's bars
    importlib.import_module("transformers.utils.logging").disable_progress_bar()


def _quiet_hub(module: ModuleType) -> None:
    # What transformers' disable_progress_bar does for the hub, for runs without transformers.
    importlib.import_module("huggingface_hub.utils").disable_progress_bars()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a hook on a module right after its first import has executed it.

    It finds the module's spec with the other finders and wraps the ``exec_module`` of that
    spec's own loader for that one call, so the module, its spec and its loader are the ones a
    plain import gives.
    """

    def __init__(self) -> None:
        self.hooks: dict[str, _Hook] = {}
        self.lock = threading.Lock()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> Any:
        # The finder stays on sys.meta_path (the import system is iterating that list now);
        # with no hooks left it only answers None.
        with self.lock:
            hook = self.hooks.pop(fullname, None)
        if hook is None:
            return None
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            try:
                original(module)
            finally:
                with contextlib.suppress(AttributeError):
                    del loader.exec_module  # the loader's own method again
            hook(module)

        loader.exec_module = exec_module
        return spec


_after_import = _AfterImport()


def when_imported(name: str, hook: _Hook) -> None:
    """Call ``hook(module)`` for the top-level module ``name``: now if it is imported, else as
    soon as its first import has run."""
    module = sys.modules.get(name)
    if module is not None:
        hook(module)
        return
    with _after_import.lock:
        _after_import.hooks[name] = hook
        if _after_import not in sys.meta_path:
            sys.meta_path.insert(0, _after_import)


def quiet_libraries() -> None:
    """Silence transformers', datasets' and huggingface_hub's progress bars and known noise."""
    when_imported("datasets", _quiet_datasets)
    when_imported("transformers", _quiet_transformers)
    when_imported("huggingface_hub", _quiet_hub)
    warnings.filterwarnings("ignore", message=".*pin_memory.*no accelerator is found.*")
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*deprecated.*")


__all__ = ["quiet_libraries", "when_imported"]

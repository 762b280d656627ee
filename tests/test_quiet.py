"""quiet_libraries: the libraries' bars are off once they are imported, and it imports none."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import sys
    from othink_bench.quiet import quiet_libraries

    quiet_libraries()
    assert not {"datasets", "transformers", "huggingface_hub"} & set(sys.modules), "imported"
    import datasets
    import huggingface_hub.utils
    import transformers

    assert not datasets.is_progress_bar_enabled()
    assert not transformers.utils.logging.is_progress_bar_enabled()
    assert huggingface_hub.utils.are_progress_bars_disabled()
    for m in (datasets, transformers):  # the module's own loader, unchanged
        assert "exec_module" not in vars(m.__spec__.loader)
    assert datasets.__loader__ is datasets.__spec__.loader
    print("ok")
    """
)


def test_quiet_libraries_defers_to_first_import() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_quiet_libraries_after_import() -> None:
    code = (
        "import datasets, transformers\n"
        "from othink_bench.quiet import quiet_libraries\n"
        "quiet_libraries()\n"
        "assert not datasets.is_progress_bar_enabled()\n"
        "assert not transformers.utils.logging.is_progress_bar_enabled()\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]

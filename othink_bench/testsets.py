"""Fetching a task's published test set and laying it out for ``othink-bench run --data``.

A task that has one sets ``Task.test_set`` to a :class:`PublishedSet`: where its JSON-lines prompt
file and its image archive are published. The core knows no task: ``othink-bench data fetch
NAME`` looks the task up in the registry and hands its spec to :func:`fetch_test_set`, which

1. downloads the prompt file (its size and sha256 are pinned in the spec) to
   ``OUT/FOLDER/NAME.jsonl``;
2. reads the ``image_path`` of every row and extracts exactly those images from the archive,
   to ``OUT/FOLDER/<image_path>``, so that the paths resolve against the data file's folder.
   A server that serves byte ranges lets :mod:`zipfile` read only the needed members (a few
   MB out of a multi-GB archive); otherwise the whole archive is downloaded (resumable) to
   ``OUT/FOLDER/.downloads/`` and deleted after unpacking. An archive copied there by hand is
   used without the network;
3. records every laid-out file's sha256 (and the archive's size) in ``OUT/FOLDER/FETCHED.json``,
   so a rerun skips verified files, redoes changed or missing ones, and notices an archive that
   changed upstream.

Every file is written under a temporary name and renamed when complete and verified.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, Any

from othink_bench.downloads import DownloadError, HttpRangeFile, download, sha256_file

MANIFEST = "FETCHED.json"
DOWNLOADS = ".downloads"
MIRROR_ENV = "OTHINK_BENCH_DATA_URL"
GB = 1 << 30


@dataclass(frozen=True)
class RemoteFile:
    """One published file. ``size``/``sha256`` are pinned only where they are known."""

    name: str  # its file name; also its name in a mirror's folder
    url: str
    size: int | None = None
    sha256: str | None = None
    approx: str = ""  # a human-readable size, e.g. "about 147 MB"


@dataclass(frozen=True)
class PublishedSet:
    """A task's published test set: a JSON-lines prompt file and a zip archive of images."""

    folder: str  # laid out under OUT/folder
    rows: int
    prompts: RemoteFile
    images: RemoteFile
    #: how many trailing parts of a row's ``image_path`` name its member in the archive
    #: (e.g. 1: the file name; 3: ``images/test/0.png``)
    member_parts: int = 1
    about: str = ""  # where the data comes from, for people


@dataclass
class FetchResult:
    task: str
    data_file: Path
    image_root: Path
    rows: int
    images_fetched: int = 0
    images_kept: int = 0
    transferred: int = 0
    notes: list[str] = field(default_factory=list)


def source_url(remote: RemoteFile, spec: PublishedSet, mirror: str | None) -> str:
    """The upstream URL, or ``MIRROR/FOLDER/NAME`` when a mirror base URL is given."""
    if mirror:
        return f"{mirror.rstrip('/')}/{spec.folder}/{remote.name}"
    return remote.url


def _read_image_paths(path: Path, spec: PublishedSet) -> list[str]:
    paths: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)["image_path"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DownloadError(f"{path}:{number}: no readable image_path ({exc})") from exc
        rel = PurePosixPath(str(value))
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise DownloadError(f"{path}:{number}: image_path {value!r} must be a relative path")
        paths.append(rel.as_posix())
    if len(paths) != spec.rows:
        raise DownloadError(f"{path}: {len(paths)} rows, expected {spec.rows}")
    return paths


def _load_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_atomic(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("wb") as fh:
        write(fh)
    os.replace(tmp, path)


def _progress(label: str) -> Callable[[int, int | None], None]:
    shown = [-1]

    def report(done: int, total: int | None) -> None:
        if not total:
            return
        tenth = done * 10 // total
        if tenth != shown[0]:
            shown[0] = tenth
            print(f"  {label}: {done / 1e6:.1f} / {total / 1e6:.1f} MB", file=sys.stderr)

    return report


def _member_index(zf: zipfile.ZipFile, parts: int) -> dict[tuple[str, ...], str | None]:
    """Trailing ``parts`` path parts -> member name (None where two members share them)."""
    index: dict[tuple[str, ...], str | None] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        key = PurePosixPath(info.filename).parts[-parts:]
        index[key] = None if key in index else info.filename
    return index


def fetch_test_set(
    task: str, spec: PublishedSet, out: Path, *, mirror: str | None = None, timeout: float = 30.0,
    max_bytes: int = 20 * GB,
) -> FetchResult:
    """Download, verify and lay out ``spec`` under ``out``; see the module docstring.

    Raises :class:`~othink_bench.downloads.Unreachable` when a source cannot be reached and
    :class:`~othink_bench.downloads.DownloadError` for anything else, naming the file and fix.
    """
    folder = out / spec.folder
    manifest = _load_manifest(folder)
    recorded: dict[str, str] = dict(manifest.get("files", {}))
    data_file = folder / spec.prompts.name
    result = FetchResult(task, data_file, folder, spec.rows)

    pinned = spec.prompts.sha256
    expected = pinned or recorded.get(spec.prompts.name)
    if not (data_file.exists() and expected and sha256_file(data_file) == expected):
        got = download(
            source_url(spec.prompts, spec, mirror), data_file, size=spec.prompts.size,
            sha256=pinned, max_bytes=max_bytes, timeout=timeout,
        )
        result.transferred += got.transferred
        recorded[spec.prompts.name] = got.sha256
    else:
        recorded[spec.prompts.name] = expected
    image_paths = _read_image_paths(data_file, spec)

    missing = []
    for rel in image_paths:
        target = folder / rel
        if target.exists() and rel in recorded and sha256_file(target) == recorded[rel]:
            result.images_kept += 1
        else:
            missing.append(rel)
    if missing:
        archive = _extract(spec, folder, missing, recorded, manifest, mirror, timeout,
                           max_bytes, result)
        manifest["archive"] = archive
    manifest.update({"task": task, "files": recorded})
    _write_atomic(folder / MANIFEST,
                  lambda fh: fh.write(json.dumps(manifest, indent=1, sort_keys=True).encode()))
    return result


def _extract(
    spec: PublishedSet, folder: Path, missing: list[str], recorded: dict[str, str],
    manifest: dict[str, Any], mirror: str | None, timeout: float, max_bytes: int,
    result: FetchResult,
) -> dict[str, Any]:
    url = source_url(spec.images, spec, mirror)
    local = folder / DOWNLOADS / spec.images.name
    ranged = None if local.exists() else HttpRangeFile.open(url, timeout=timeout)
    archive: dict[str, Any] = {"name": spec.images.name, "url": url}
    if ranged is not None:
        archive.update(size=ranged.size, read="byte ranges (members only)")
        source: Path | HttpRangeFile = ranged
    elif local.exists():  # finished earlier, or copied here by hand
        digest = sha256_file(local)
        if spec.images.sha256 is not None and digest != spec.images.sha256:
            raise DownloadError(
                f"{local} has sha256 {digest}, expected {spec.images.sha256}; delete it and "
                f"copy (or let this command download) {spec.images.url} again"
            )
        archive.update(size=local.stat().st_size, sha256=digest, read="local copy")
        source = local
    else:
        print(f"  {spec.images.name}: {url} does not serve byte ranges; downloading the "
              f"whole archive ({spec.images.approx or 'size unknown'})", file=sys.stderr)
        got = download(url, local, size=spec.images.size, sha256=spec.images.sha256,
                       max_bytes=max_bytes, timeout=timeout, progress=_progress(spec.images.name))
        result.transferred += got.transferred
        archive.update(size=got.size, sha256=got.sha256, read="whole archive")
        source = local
    before = manifest.get("archive", {}).get("size")
    if before is not None and before != archive["size"]:
        result.notes.append(f"{spec.images.name} changed upstream since the last fetch "
                            f"({before} -> {archive['size']} bytes)")
    try:
        with zipfile.ZipFile(source) as zf:
            index = _member_index(zf, spec.member_parts)
            absent = []
            for rel in missing:
                member = index.get(PurePosixPath(rel).parts[-spec.member_parts:])
                if member is None:
                    absent.append(rel)
                    continue
                with zf.open(member) as src:
                    _write_atomic(folder / rel, partial(shutil.copyfileobj, src))
                recorded[rel] = sha256_file(folder / rel)
                result.images_fetched += 1
    except zipfile.BadZipFile as exc:
        raise DownloadError(
            f"{spec.images.name} (from {url}) is not a readable zip archive ({exc}); delete "
            f"{local} if it is there and rerun"
        ) from exc
    finally:
        if isinstance(source, HttpRangeFile):
            result.transferred += source.transferred
    if absent:
        raise DownloadError(
            f"{spec.images.name} (from {url}) lacks {len(absent)} of the {len(missing)} images "
            f"the prompt file names, e.g. {absent[0]!r}; check that the URL serves the archive "
            f"described in {spec.about or 'the task'}"
        )
    local.unlink(missing_ok=True)
    if local.parent.is_dir() and not any(local.parent.iterdir()):
        local.parent.rmdir()
    return archive


def offline_instructions(task: str, spec: PublishedSet, out: Path, reason: str) -> str:
    """What to copy where when the sources cannot be reached from this machine."""
    folder = out / spec.folder
    return (
        f"cannot fetch the {task} test set: {reason}\n"
        f"To set it up without network access here, on a machine that has it:\n"
        f"  1. download {spec.prompts.url}\n"
        f"     and copy it to {folder / spec.prompts.name}\n"
        f"  2. download {spec.images.url} ({spec.images.approx or 'size unknown'})\n"
        f"     and copy it to {folder / DOWNLOADS / spec.images.name}\n"
        f"then run `othink-bench data fetch {task} --out {out}` here again: it verifies both and "
        f"unpacks the {spec.rows} images the prompt file names without the network.\n"
        f"(Or unpack the images yourself so that each row's image is at {folder}/<its image_path>.)\n"
        f"A local mirror works too: --mirror URL (or {MIRROR_ENV}) serving "
        f"URL/{spec.folder}/{spec.prompts.name} and URL/{spec.folder}/{spec.images.name}."
    )

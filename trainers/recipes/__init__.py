"""The bundled recipes (YAML) and the light half of recipe handling.

Why a separate module: reading a recipe and merging its scopes needs only PyYAML, so commands
that only look settings up (``othink-bench schedule``) start without importing TRL and torch.
Validation against the TRL config classes lives in :mod:`trainers.recipes.resolve`.

Merge order for one (method, task family), later wins::

    common -> methods.<method> -> families.<family>.common -> families.<family>.<method>
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

RECIPES_DIR = Path(__file__).resolve().parent
ACCELERATE_DIR = RECIPES_DIR / "accelerate"
RECIPE_SECTIONS = ("description", "model", "common", "methods", "families")


class ConfigError(ValueError):
    """A recipe, an override or a config value is invalid; the message says how to fix it."""


def list_recipes() -> list[str]:
    """Names of the bundled recipes."""
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def recipe_path(recipe: str | Path) -> Path:
    """A bundled recipe by name (``tiny``, ``qwen2-vl-2b``) or a YAML file by path."""
    p = Path(recipe)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise ConfigError(f"no such recipe file: {p}")
        return p
    bundled = RECIPES_DIR / f"{recipe}.yaml"
    if bundled.is_file():
        return bundled
    raise ConfigError(
        f"unknown recipe {str(recipe)!r}; bundled recipes: {', '.join(list_recipes())} "
        "(or pass a path to a YAML file)"
    )


def default_recipe(model: str) -> str:
    """The recipe used when none is named: ``tiny`` for the tiny model, else the paper's 2B or
    7B settings by the model's name (2B when the name says neither)."""
    name = str(model).lower()
    if name == "tiny" or "tiny" in Path(name).name:
        return "tiny"
    if "7b" in name:
        return "qwen2-vl-7b"
    return "qwen2-vl-2b"


def read_recipe(recipe: str | Path) -> dict[str, Any]:
    """Parse a recipe file and check its sections (not its keys: see trainers.recipes.resolve)."""
    path = recipe_path(recipe)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a recipe is a mapping with sections {RECIPE_SECTIONS}")
    for section in raw:
        if section not in RECIPE_SECTIONS:
            raise ConfigError(
                f"{path}: unknown section {section!r}; recipe sections are "
                f"{', '.join(RECIPE_SECTIONS)}"
            )
    for section in ("common", "methods", "families"):
        if raw.get(section) is not None and not isinstance(raw[section], dict):
            raise ConfigError(f"{path}: {section} must be a mapping")
    raw["_path"] = str(path)
    return raw


def merged_values(raw: dict[str, Any], method: str, family: str) -> dict[str, Any]:
    """The recipe's settings for (method, family), scopes merged in order."""
    values: dict[str, Any] = {}
    values.update(raw.get("common") or {})
    values.update((raw.get("methods") or {}).get(method) or {})
    fam = (raw.get("families") or {}).get(family) or {}
    values.update(fam.get("common") or {})
    values.update(fam.get(method) or {})
    return values

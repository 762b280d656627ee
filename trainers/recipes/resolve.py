"""Recipe resolution: a recipe's scopes merged for one (method, task family), with overrides,
every key checked against the method's TRL config and :class:`trainers.config.RecipeOptions`.

The values for one (method, task family) are merged in this order, later winning::

    common -> methods.<method> -> families.<family>.common -> families.<family>.<method>
           -> command-line key=value (or <method>.key=value)

Every key must be a field of the method's TRL config or of :class:`RecipeOptions`; unknown keys
fail with the closest known names, so a typo never silently trains with a default.

Why here and not in :mod:`trainers.recipes` itself: checking keys needs the TRL config classes
(TRL and torch), while reading and merging a recipe (the package) needs only PyYAML.
"""

from __future__ import annotations

import difflib
import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainers.config import (
    METHODS,
    GRPODConfig,
    RecipeOptions,
    SFTRecipeConfig,
    check_method,
    config_class,
)
from trainers.config_values import coerce, field_hints, init_fields, parse_scalar
from trainers.recipes import ConfigError, merged_values, read_recipe

# The name these messages have always been logged under (the CLI prints it).
log = logging.getLogger("trainers.config")

OPTION_KEYS = frozenset(init_fields(RecipeOptions))


@functools.cache
def valid_keys(method: str) -> frozenset[str]:
    return frozenset(init_fields(config_class(method))) | OPTION_KEYS


def _unknown_key_error(key: str, where: str, known: Iterable[str]) -> ConfigError:
    close = difflib.get_close_matches(key, sorted(known), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return ConfigError(
        f"unknown setting {key!r} in {where}.{hint} Settings are fields of the method's TRL "
        "config (trl.GRPOConfig / trl.SFTConfig, plus the schedule fields of "
        "trainers.config.GRPODConfig) or of trainers.config.RecipeOptions."
    )


def load_recipe(recipe: str | Path) -> dict[str, Any]:
    """Read a recipe and check its structure and every key in it."""
    raw = read_recipe(recipe)
    path = raw["_path"]

    def check(mapping: Any, where: str, methods: Sequence[str]) -> None:
        if mapping is None:
            return
        if not isinstance(mapping, dict):
            raise ConfigError(f"{path}: {where} must be a mapping of settings")
        allowed = frozenset.intersection(*(valid_keys(m) for m in methods))
        for key in mapping:
            if key not in allowed:
                anywhere = frozenset.union(*(valid_keys(m) for m in METHODS))
                if key in anywhere:
                    raise ConfigError(
                        f"{path}: setting {key!r} in {where} does not apply to every method "
                        f"({', '.join(methods)}); move it under a method's section"
                    )
                raise _unknown_key_error(key, f"{path}: {where}", anywhere)

    check(raw.get("common"), "common", METHODS)
    methods = raw.get("methods") or {}
    if not isinstance(methods, dict):
        raise ConfigError(f"{path}: methods must map method names to settings")
    for method, settings in methods.items():
        if method not in METHODS:
            raise ConfigError(f"{path}: unknown method {method!r} in methods; use {METHODS}")
        check(settings, f"methods.{method}", [method])
    families = raw.get("families") or {}
    if not isinstance(families, dict):
        raise ConfigError(f"{path}: families must map task families to settings")
    for family, scoped in families.items():
        if not isinstance(scoped, dict):
            raise ConfigError(f"{path}: families.{family} must be a mapping")
        for key, settings in scoped.items():
            if key == "common":
                check(settings, f"families.{family}.common", METHODS)
            elif key in METHODS:
                check(settings, f"families.{family}.{key}", [key])
            else:
                raise ConfigError(
                    f"{path}: families.{family} has {key!r}; use 'common' or a method name "
                    f"({', '.join(METHODS)})"
                )
    return raw


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``key=value`` strings to a dict; ``method.key=value`` scopes a value to one method."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not key=value (e.g. learning_rate=1e-5)")
        key, _, text = item.partition("=")
        key = key.strip().lstrip("-").replace("-", "_")
        if not key:
            raise ConfigError(f"override {item!r} has an empty key")
        out[key] = parse_scalar(text.strip())
    return out


@dataclass
class ResolvedRecipe:
    """The settings for one (method, task family): a recipe merged with overrides."""

    name: str
    path: str
    method: str
    family: str
    values: dict[str, Any]

    @property
    def options(self) -> RecipeOptions:
        hints = field_hints(RecipeOptions)
        kwargs = {k: coerce(v, hints[k], k) for k, v in self.values.items() if k in OPTION_KEYS}
        return RecipeOptions(**kwargs)

    def trl_kwargs(self) -> dict[str, Any]:
        cls = config_class(self.method)
        fields, hints = init_fields(cls), field_hints(cls)
        return {
            k: coerce(v, hints.get(k, Any), k)
            for k, v in self.values.items()
            if k in fields and k not in OPTION_KEYS
        }

    def build_config(self, output_dir: str | Path, **extra: Any) -> GRPODConfig | SFTRecipeConfig:
        """The method's TRL config. ``extra`` (e.g. ``max_steps`` from code) wins over the recipe."""
        kwargs = {**self.trl_kwargs(), **extra, "output_dir": str(output_dir)}
        try:
            return config_class(self.method)(**kwargs)
        except ConfigError:
            raise
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"recipe {self.name} ({self.method}, {self.family}): {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "method": self.method,
            "family": self.family,
            "values": dict(sorted(self.values.items())),
        }


def resolve_recipe(
    recipe: str | Path | Mapping[str, Any],
    method: str,
    family: str,
    overrides: Mapping[str, Any] | None = None,
) -> ResolvedRecipe:
    """Merge a recipe's scopes for (method, family) and apply overrides, validating every key.

    An override that is a field of another method's config only (``max_completion_length``
    while resolving ``sft``) is skipped, so one command line can drive a whole matrix; an
    override valid for no method is an error.
    """
    check_method(method)
    raw = dict(recipe) if isinstance(recipe, Mapping) else load_recipe(recipe)
    path = str(raw.get("_path", "<inline>"))
    name = Path(path).stem if path != "<inline>" else "<inline>"
    values = merged_values(raw, method, family)
    own = valid_keys(method)
    anywhere = frozenset.union(*(valid_keys(m) for m in METHODS))
    for key, value in (overrides or {}).items():
        scope, dot, bare = key.partition(".")
        if dot:
            if scope not in METHODS:
                raise ConfigError(
                    f"override {key!r}: {scope!r} is not a method; use <method>.<setting> with "
                    f"a method in {', '.join(METHODS)}"
                )
            if bare not in valid_keys(scope):
                raise _unknown_key_error(bare, f"override {key!r}", valid_keys(scope))
            if scope == method:
                values[bare] = value
            continue
        if key in own:
            values[key] = value
        elif key in anywhere:
            log.info("override %s does not apply to %s; skipped for it", key, method)
        else:
            raise _unknown_key_error(key, "the command-line overrides", anywhere)
    if "output_dir" in values:
        raise ConfigError(
            f"output_dir={values['output_dir']!r} in the recipe {name} or an override would be "
            "ignored: the output folder is the command's --output (train(output_dir=...)). "
            "Fix: remove output_dir from the recipe and overrides and pass --output instead"
        )
    if method == "grpo" and values.get("beta_schedule", "constant") != "constant":
        raise ConfigError(
            f"method grpo uses a constant beta (got beta_schedule={values['beta_schedule']!r}); "
            "use --method grpod for a scheduled KL weight"
        )
    if method == "grpod" and values.get("beta_schedule", "constant") == "constant":
        raise ConfigError(
            "method grpod needs a non-constant beta_schedule (grpod, linear or cosine); "
            f"the recipe {name} gives none for family {family!r}"
        )
    return ResolvedRecipe(name=name, path=path, method=method, family=family, values=values)


"""Accelerate launch configs (DDP, DeepSpeed ZeRO-2, ZeRO-3) shipped with the recipes.

A package only so that its YAML files are installed with the distribution; nothing to import.
Use them as ``accelerate launch --config_file <this folder>/zero2.yaml ...``.
"""

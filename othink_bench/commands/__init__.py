"""Subcommands of the core CLI (each imports its heavy dependencies only when run)."""

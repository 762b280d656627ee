"""othink-bench: verifiable multimodal tasks, one verifier shared by rewards and scoring.

The core package knows no task by name. Tasks register themselves (the `tasks` package does so
through the ``othink_bench.tasks`` entry-point group), and everything else - rewards, the harness,
the trainers, the leaderboard - reaches them through :mod:`othink_bench.registry`.
"""

__version__ = "0.1.0"

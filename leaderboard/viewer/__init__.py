"""The static HTML sample browser (``othink-bench view``, ``leaderboard --viewer``).

:mod:`~leaderboard.viewer.build` writes the folder; :mod:`~leaderboard.viewer.data` reads the runs
and recovers their samples, :mod:`~leaderboard.viewer.pages` renders the pages in the template of
:mod:`~leaderboard.viewer.template`, within the size bounds of :mod:`~leaderboard.viewer.bounds`
(long texts cut, full text in ``texts/``); :mod:`~leaderboard.viewer.links` adds a board's Samples
section, :mod:`~leaderboard.viewer.cases` the paper's Figure 8 case studies (GRPO-D vs SFT per
cross-task cell), and :mod:`~leaderboard.viewer.cli` is the ``view`` command.
"""

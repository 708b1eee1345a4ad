"""The sync engine: which days to ask for and when (``engine``), what is remembered per day
and series (``state``), rewriting history with another schedule (``reclassify``), the run's
lock (``lock``).

Knows no URL and no line-protocol byte: it asks the sources for readings and gives lines to
the sinks. Never imports the simulator.
"""

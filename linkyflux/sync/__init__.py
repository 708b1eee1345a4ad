"""The sync engine: which days to ask for, asking, and what is remembered of each day.

``engine`` drives a run over every series of every usage point; ``planning`` says which days
and windows to ask for; ``totals`` turns readings into tagged, priced lines and keeps each
day's totals; ``settlement`` records what an answer says of each day; ``report`` is what the
run did; ``state`` is what is remembered per day and series (``state.json``); ``reclassify``
rewrites history with another schedule; ``tempo`` fetches again the days written before
their Tempo colour was known; ``lock`` keeps one run at a time.

Knows no URL and no line-protocol byte: it asks the sources for readings and gives lines to
the sinks. Never imports the simulator, the settings or the CLI.
"""

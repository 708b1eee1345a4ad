"""The composition: what each command does, with the stages wired from the settings.

``wiring`` builds the stages' objects from the settings; ``consent`` is ``linkyflux auth``;
``runs`` is ``fetch`` and ``backfill``; ``imports`` is ``import``; ``report`` their summary;
``status`` is ``linkyflux status``; ``demo`` is ``linkyflux demo`` (the only product code that
imports the simulator).

Only the CLI imports it; no stage ever does. Prints nothing but through the ``echo`` and
``warn`` it is given.
"""

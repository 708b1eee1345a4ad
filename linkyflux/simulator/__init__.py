"""The stand-in for every upstream, as rude as the real ones, layered one way:

- ``reply``, ``dialects``, ``faults``, ``state``: what the upstreams share (answers, Enedis'
  paths, injected faults, the simulator's state); ``synthetic``: the deterministic meters;
- ``enedis`` (metering in both dialects) with ``contracts``; in front of it ``proxy`` (the
  consent proxy), ``conso``, ``myelectricaldata`` and ``enedis_direct``; ``truth``;
- ``tempo``: the Tempo day colours and the two sources that publish them;
- ``netatmo`` (OAuth with rotating refresh tokens, ``homesdata``, ``getmeasure``, limits)
  over ``netatmo_data`` (the homes, and their circuits as shares of the Linky meters);
- ``exports`` (CSV) and ``xlsx`` (workbooks): the files customers download from Enedis,
  made from the meters;
- ``simulator`` routes each request to them; ``server`` puts it on a socket; ``cli`` is
  ``python -m linkyflux.simulator``.

Used by the tests, the benchmarks and `linkyflux demo`; never imported by other product code.
"""

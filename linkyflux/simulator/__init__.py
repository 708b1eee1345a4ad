"""The stand-in for every upstream, as rude as the real ones: the consent proxy and Enedis in
both dialects (``server``), the other gateways' front doors (``gateways``) and the
deterministic meters (``synthetic``). Used by the tests, the benchmarks and `linkyflux demo`;
never imported by other product code. Run it alone with ``python -m linkyflux.simulator``.
"""

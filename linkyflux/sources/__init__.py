"""Sources: everything that knows a URL or a JSON shape.

Owns the transport and its pacing (``transport``), the consent and its tokens (``auth``,
``tokens``), the gateways (``gateways``), the two Enedis dialects (``dialects``), Enedis'
answers, errors and limits (``enedis``), the metering client (``metering``), contract
answers (``contracts``), the Tempo day colours (``tempo``) and Netatmo's energy meters, with
their own consent, tokens and pacing (``netatmo``). Everything leaves as typed readings in
UTC (:mod:`linkyflux.models`).

Never imports the sinks, the sync engine or the simulator.
"""

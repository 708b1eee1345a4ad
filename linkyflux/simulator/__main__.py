"""``python -m linkyflux.simulator``: the simulator alone, on loopback."""

from linkyflux.simulator.server import main

main()

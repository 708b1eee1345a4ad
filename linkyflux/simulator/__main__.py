"""``python -m linkyflux.simulator``: the simulator alone, on loopback."""

from linkyflux.simulator.cli import main

main()

from linkyflux.cli import main

main()

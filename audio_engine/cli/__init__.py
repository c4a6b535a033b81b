"""The `mashups` command line. Each subcommand lives in its own module with a
``register(subparsers)`` function; heavy imports happen only when it runs."""

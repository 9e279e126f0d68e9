"""Sub-commands of `python -m daemon`. Each module NAME.py here exposes
`register(subparsers)` and `main(args, cfg) -> int`; the CLI finds them by name."""

COMMANDS = ("run", "status", "analyze", "sink", "simulate", "demo", "stats", "replay", "dead_letter")

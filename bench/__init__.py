"""Masthead's benchmark harness: `python -m bench.run --help`."""

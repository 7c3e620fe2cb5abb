"""Adapters around external tools; `runner` is the one place a subprocess starts."""

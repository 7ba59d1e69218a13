"""Koersmonitor's services; `python -m services` is the platform's command line."""

"""Koersmonitor's platform library: the plumbing every service shares, and no business rules."""

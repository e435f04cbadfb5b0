"""Errors of the notifier package, named for what the caller should do next."""

from __future__ import annotations


class NotifierError(Exception):
    """Root of every error the notifier package raises."""


class DestinationRefused(NotifierError):
    """The destination may not be contacted (scheme, or an address that is not public)."""


class DestinationUnresolved(NotifierError):
    """The destination's host name did not resolve; it may later."""

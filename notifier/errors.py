"""Errors of the notifier package, named for what the caller should do next."""

from __future__ import annotations


class NotifierError(Exception):
    """Root of every error the notifier package raises."""


class DestinationRefused(NotifierError):
    """The destination may not be contacted (scheme, or an address that is not public)."""


class DestinationForbidden(DestinationRefused):
    """Refused whenever it is tried: the URL breaks the operator's rules, or the signing
    secret is not one. (An address found by resolving the name may differ tomorrow.)"""


class DestinationUnresolved(NotifierError):
    """The destination's host name did not resolve; it may later."""

"""The web inbox for care agents: queue, drafts, claims, audit, users.

Serve it with ``create_app(store, settings, clock, session_secret)``; the secret comes
from ``web.auth.session_secret(data_dir)`` (the environment, else a key kept in the
data directory).
"""

from web.app import create_app

__all__ = ["create_app"]

"""The web inbox for care agents: queue, drafts, claims, audit, users.

Serve it with ``web.app.create_app(store, settings, clock, session_secret)``; the secret
comes from ``web.auth.session_secret(data_dir)`` (the environment, else a key kept in
the data directory). The package itself imports nothing: the command line reads
``web.cli`` and ``web.auth`` at every start, and the app's pages (a second of imports on
2 cores) load only where they are served, beside the model loading.
"""

"""Mention sources: one module per platform behind the ``MentionSource`` interface."""

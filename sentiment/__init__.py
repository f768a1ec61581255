"""The sentiment model (tone) and triage (need, topic, priority) built on it."""

"""Drafting replies, the reply policy, and publishing approved replies."""

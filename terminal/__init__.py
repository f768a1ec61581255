"""Terminal front-ends for agents (review) and marketing (report)."""

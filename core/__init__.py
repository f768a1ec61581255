"""Types shared by every stage: the normalised mention, the clock, the exception tree."""

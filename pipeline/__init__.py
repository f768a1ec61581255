"""The daemon's stages, composed with the store; the scheduler runs them."""

"""The platform's own signing keys (receipts, audit checkpoints): from configuration, published once, never two."""

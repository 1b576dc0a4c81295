"""State property rights (O32): pre-disclosure, transfer reserve changes with consent, negotiated transfer."""

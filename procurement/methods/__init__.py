"""Procurement methods: an invitation tender's invitees (a published list or a verifiable draw), a change of
method after a failed tender, and the budget a failed or cancelled trade gives back to its line."""

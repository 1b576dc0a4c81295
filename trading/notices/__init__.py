"""Notices, tender documents, who downloaded them, clarifications and notifications."""

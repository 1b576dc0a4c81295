"""Evaluation: the committee that sits on a trade, its review and what fails a trade after it (issue 10)."""

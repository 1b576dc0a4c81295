"""Scoring: the rule set's scoring method applied to the bids that passed review, each expert's score
sheet, the ranking and the evaluation report."""

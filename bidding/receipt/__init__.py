"""`python -m bidding.receipt verify ...`: the documented receipt CLI. The receipt format and the CLI
itself live in bidding.crypto.receipt; this package only keeps the command's name."""

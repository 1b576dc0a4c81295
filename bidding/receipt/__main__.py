"""Runs bidding.crypto.receipt's CLI under its documented name, `python -m bidding.receipt`."""
import sys

from bidding.crypto.receipt import main

sys.exit(main())

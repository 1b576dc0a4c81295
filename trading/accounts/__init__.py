"""Accounts, organisations, the three branches and the policy that keeps them apart."""

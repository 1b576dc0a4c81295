"""The trade record shared by all five centres, and its lifecycle."""

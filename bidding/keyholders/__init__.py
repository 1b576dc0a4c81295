"""Key custody: appointing keyholders, their personal keys, and the opening key split among them."""

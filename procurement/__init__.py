"""Government procurement: the six methods and their rule sets (政府采购法)."""

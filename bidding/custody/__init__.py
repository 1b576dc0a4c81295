"""Custody of the opened bid documents: kept encrypted, read only by those the rules name, every read audited."""

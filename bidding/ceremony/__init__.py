"""The opening ceremony: releasing shares, opening every bid, the opening record, objections, signatures."""

"""Expert pool, committee plans and draws (bidding/experts)."""

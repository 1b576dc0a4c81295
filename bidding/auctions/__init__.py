"""Land-use and state property rights sold to the highest bidder (O39, O32): the terms, registration with
deposits, listing quotes (this package), the live timed round (`live/`) and the deal (`deal/`)."""

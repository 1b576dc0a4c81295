"""The live timed bidding round (限时竞价) of a land or property sale: entry, bids, countdown, close."""

"""The end of a land or property sale: the conclusion (deal or no deal against the sealed reserve), the
transaction confirmation (成交确认书) signed by the parties and the platform, the result notice, the deposits
refunded or applied to the price, and the premium figures for the statistics (O39 Arts. 19-22, O32 Art. 29)."""

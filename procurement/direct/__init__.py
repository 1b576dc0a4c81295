"""Inquiry (询价) and single source (单一来源): the two methods without a scored competition (GPL 38-40)."""

"""Negotiation pages (on the procurement blueprint)."""
from __future__ import annotations

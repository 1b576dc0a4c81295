"""Tests of monitor/cards/."""

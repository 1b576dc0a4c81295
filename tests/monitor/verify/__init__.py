"""Tests of monitor/verify/."""

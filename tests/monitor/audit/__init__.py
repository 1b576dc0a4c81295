"""Tests of monitor/audit/."""

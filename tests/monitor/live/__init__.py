"""Tests of monitor/live/."""

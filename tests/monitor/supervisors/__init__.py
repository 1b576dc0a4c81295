"""Tests of monitor/supervisors/."""

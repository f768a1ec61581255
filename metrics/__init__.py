"""Reputation metrics: hourly rollups, the report table and CSV exports."""

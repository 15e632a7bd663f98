"""Capacity-gap reports and fund investment priorities for fund panels (docs/reports.md)."""

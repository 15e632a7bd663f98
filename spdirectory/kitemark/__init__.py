"""Kite mark: light-touch quality assurance that providers earn and keep (issue 5)."""

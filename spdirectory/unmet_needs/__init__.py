"""Unmet needs: what a link worker records when nothing suitable was found (issue 4 item 6)."""

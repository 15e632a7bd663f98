"""Closed-loop referrals: state machine, capacity integrity, inbox and caseload, outcomes."""

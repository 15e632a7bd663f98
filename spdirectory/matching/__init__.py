"""Matching activities to one person: hard constraints, a soft score, and reasons."""

from .constraints import Rules, violations
from .engine import match
from .profile import Person, ProfileError, parse_person
from .scoring import DEFAULT_WEIGHTS, Scored, score_candidate

__all__ = [
    "DEFAULT_WEIGHTS",
    "Person",
    "ProfileError",
    "Rules",
    "Scored",
    "match",
    "parse_person",
    "score_candidate",
    "violations",
]

"""Mapping Open Referral taxonomy terms to our vocabulary (categories, needs, modes, …).

A feed's services carry taxonomy terms (attributes → taxonomy_term). Each term is resolved,
in this order, by:
1. an explicit entry in the mapping's ``terms`` (keyed by term id, ``taxonomy:code``,
   ``taxonomy:name``, code or name — all compared lower-cased, spaces collapsed);
2. its taxonomy being listed in ``taxonomies`` with a kind (``category``, ``need``, …):
   the term's code (or name) is then read as one of our codes of that kind (how our own
   published taxonomies come back on a round trip);
3. its code or name being one of our codes or English labels (``Walking``, ``low_mood``).
Terms that match nothing are *unknown*: the importer reports every one of them with a count
(and never drops them silently). Terms listed under ``ignore`` are known and deliberately
not used.

The default mapping ships as ``data/taxonomy_mapping.json``; the ``OPENREFERRAL_TAXONOMY_MAPPING``
setting names a JSON or TOML file whose entries are laid over the default (or replace it,
with ``"extends_default": false``). Targets are ``kind:code`` strings; kind ``field`` takes
the attribute's ``value`` for a listing field (``field:spare_places``).
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import vocab

DEFAULT_MAPPING_FILE = Path(__file__).parent / "data" / "taxonomy_mapping.json"

KINDS: dict[str, dict[str, str]] = {
    "category": vocab.CATEGORIES,
    "need": vocab.NEEDS,
    "mode": vocab.MODES,
    "route": vocab.REFERRAL_ROUTES,
}
# Listing fields an attribute may carry a value for (ORUK allows extra fields such as value).
VALUE_FIELDS = {
    "capacity",
    "spare_places",
    "waitlist",
    "wheelchair_accessible",
    "capacity_updated",
    "last_reviewed",
    "kite_mark",
    "languages",
}
# Flags a term can set without a value (e.g. a "wheelchair accessible" accessibility term).
# "full" means no spare places and no waiting list.
FLAGS = {"wheelchair_accessible", "waitlist", "full"}


class MappingError(ValueError):
    """The mapping file cannot be read or names codes we do not have."""


def norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


def _code_form(text: Any) -> str:
    return norm(text).replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class Target:
    kind: str  # category, need, mode, route, field, flag
    code: str


@dataclass
class TaxonomyMapping:
    taxonomies: dict[str, str] = field(default_factory=dict)
    terms: dict[str, tuple[Target, ...]] = field(default_factory=dict)
    ignore: set[str] = field(default_factory=set)
    default_categories: list[str] = field(default_factory=list)
    _cache: dict[tuple[str, ...], tuple[Target, ...] | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def resolve(self, term: Mapping[str, Any]) -> tuple[Target, ...] | None:
        """Our targets for a taxonomy term; () when deliberately ignored; None when unknown."""
        detail = term.get("taxonomy_detail")
        key = (
            *(str(term.get(k) or "") for k in ("id", "code", "term", "name", "taxonomy")),
            str(term.get("taxonomy_id") or ""),
            repr(detail) if detail else "",
        )
        # A feed repeats the same few hundred terms thousands of times: resolve each once.
        if key not in self._cache:
            self._cache[key] = self._resolve(term)
        return self._cache[key]

    def _resolve(self, term: Mapping[str, Any]) -> tuple[Target, ...] | None:
        taxonomies = term_taxonomies(term)
        code = norm(term.get("code") or term.get("term") or "")
        name = norm(term.get("name") or "")
        keys = [norm(term.get("id"))]
        for value in (code, name):
            if value:
                keys.extend(f"{taxonomy}:{value}" for taxonomy in taxonomies)
                keys.append(value)
        for key in keys:
            if key and key in self.terms:
                return self.terms[key]
            if key and key in self.ignore:
                return ()
        kind = next((self.taxonomies[t] for t in taxonomies if t in self.taxonomies), None)
        if kind == "ignore":
            return ()
        if kind in KINDS:
            for value in (code, name):
                found = _vocab_code(KINDS[kind], value)
                if found:
                    return (Target(kind, found),)
            return None
        if kind == "language":
            return (Target("field", "languages:" + (code or name)),) if (code or name) else None
        # Finally our own codes or labels, whatever the taxonomy (categories first).
        for value in (code, name):
            for kind_name, vocabulary in KINDS.items():
                found = _vocab_code(vocabulary, value)
                if found:
                    return (Target(kind_name, found),)
        return None


def term_taxonomies(term: Mapping[str, Any]) -> list[str]:
    """The keys a term's taxonomy may be known by: its name (HSDS `taxonomy_detail`, ORUK
    `taxonomy`) and its id."""
    keys = []
    detail = term.get("taxonomy_detail")
    if isinstance(detail, Mapping):
        keys += [norm(detail.get("name")), norm(detail.get("id"))]
    keys += [norm(term.get("taxonomy")), norm(term.get("taxonomy_id"))]
    return [k for k in dict.fromkeys(keys) if k]


def _vocab_code(vocabulary: dict[str, str], value: str) -> str | None:
    if not value:
        return None
    code = _code_form(value)
    if code in vocabulary:
        return code
    for known, label in vocabulary.items():
        if norm(label) == value:
            return known
    return None


def _parse_target(text: str, where: str) -> Target:
    kind, _, code = str(text).partition(":")
    kind, code = kind.strip().lower(), code.strip()
    if kind in KINDS:
        if code not in KINDS[kind]:
            raise MappingError(f"{where}: “{code}” is not one of our {kind} codes")
        return Target(kind, code)
    if kind == "field":
        if code.split(":", 1)[0] not in VALUE_FIELDS:
            raise MappingError(
                f"{where}: field “{code}” cannot be set by a term "
                f"(one of {', '.join(sorted(VALUE_FIELDS))})"
            )
        return Target(kind, code)
    if kind == "flag":
        if code not in FLAGS:
            raise MappingError(f"{where}: flag “{code}” is not one of {', '.join(sorted(FLAGS))}")
        return Target(kind, code)
    raise MappingError(
        f"{where}: “{text}” should be kind:code with kind one of "
        f"{', '.join([*KINDS, 'field', 'flag'])}"
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.suffix.lower() == ".toml":
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"taxonomy mapping file {path} does not exist") from None
    except (OSError, ValueError) as exc:
        raise MappingError(f"taxonomy mapping file {path} cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(f"taxonomy mapping file {path} must hold an object")
    return data


def _merge(mapping: TaxonomyMapping, data: Mapping[str, Any], origin: str) -> None:
    for key, kind in (data.get("taxonomies") or {}).items():
        kind = str(kind).strip().lower()
        if kind not in {*KINDS, "ignore", "language"}:
            raise MappingError(f"{origin}: taxonomy “{key}” has unknown kind “{kind}”")
        mapping.taxonomies[norm(key)] = kind
    for key, targets in (data.get("terms") or {}).items():
        listed: Iterable[str] = [targets] if isinstance(targets, str) else targets
        mapping.terms[norm(key)] = tuple(
            _parse_target(t, f"{origin}: term “{key}”") for t in listed
        )
        mapping.ignore.discard(norm(key))
    for key in data.get("ignore") or []:
        mapping.ignore.add(norm(key))
        mapping.terms.pop(norm(key), None)
    if "default_categories" in data:
        codes = list(data.get("default_categories") or [])
        bad = [c for c in codes if c not in vocab.CATEGORIES]
        if bad:
            raise MappingError(f"{origin}: default_categories has unknown codes {bad}")
        mapping.default_categories = codes


def load_mapping(path: str | Path | None = None) -> TaxonomyMapping:
    """The default mapping, with the file at `path` (if any) laid over it."""
    mapping = TaxonomyMapping()
    override = _read(Path(path)) if path else None
    if override is None or override.get("extends_default", True):
        _merge(mapping, _read(DEFAULT_MAPPING_FILE), "default taxonomy mapping")
    if override is not None:
        _merge(mapping, override, str(path))
    return mapping


def mapping_for_app(config: Mapping[str, Any]) -> TaxonomyMapping:
    return load_mapping(config.get("OPENREFERRAL_TAXONOMY_MAPPING") or None)

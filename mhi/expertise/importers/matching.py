"""Matching published authors to people in the directory: by ORCID iD first, then by family name and first
initial among the people affiliated with one of the author's institutions (by ROR id).

The directory is read once into dictionaries (`AuthorMatcher.from_directory()`), so matching the authors
of a 100,000-work file costs no query per author.
"""

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from mhi.core.validators import orcid_normalise
from mhi.directory.models import Affiliation, Person
from mhi.expertise.importers.base import AuthorRecord
from mhi.expertise.models import Authorship

# Letters that Unicode does not decompose into a base letter and an accent.
LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"})


def name_fold(value: str) -> str:
    """Lowercase, accents stripped, punctuation dropped, spaces collapsed: "Clutton‐Brock" → "clutton brock"."""
    decomposed = unicodedata.normalize("NFKD", value.lower().translate(LETTERS))
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        kept.append(char if char.isalnum() else " ")
    return " ".join("".join(kept).split())


def name_key(family: str, given: str) -> tuple[str, str] | None:
    """(family name without spaces, first initial), or None when either is missing."""
    family, given = name_fold(family).replace(" ", ""), name_fold(given)
    if not family or not given:
        return None
    return family, given[0]


def name_keys_from_full_name(name: str) -> set[tuple[str, str]]:
    """Every reading of a name written in one string: "Family, Given", or "Given [Middle] Family" where the
    family name may be more than one word ("Yolanda Kakabadse Navarro", "Michiel van Breugel")."""
    if "," in name:
        family, given = name.split(",", 1)
        key = name_key(family, given)
        return {key} if key else set()
    words = name.split()
    keys = set()
    for split in range(1, len(words)):
        key = name_key(" ".join(words[split:]), words[0])
        if key:
            keys.add(key)
    return keys


def author_name_keys(author: AuthorRecord) -> set[tuple[str, str]]:
    keys = set()
    if author.family_name:
        key = name_key(author.family_name, author.given_name)
        if key:
            keys.add(key)
    else:
        for name in [author.raw_name, *author.other_names]:
            keys |= name_keys_from_full_name(name)
    return keys


@dataclass
class AuthorMatch:
    status: str
    person_id: int | None = None
    candidate_ids: list[int] = field(default_factory=list)


@dataclass
class AuthorMatcher:
    by_orcid: dict[str, int]
    # (ROR id, family name, first initial) → people affiliated with that organisation under that name.
    by_ror_and_name: dict[tuple[str, str, str], set[int]]
    orcid_of: dict[int, str]

    def __post_init__(self):
        # The directory's institutions: most published authors are at none of them, and need no name work.
        self.rors = {ror for ror, _, _ in self.by_ror_and_name}

    @classmethod
    def from_directory(cls) -> "AuthorMatcher":
        by_orcid, orcid_of = {}, {}
        for person_id, orcid in Person.objects.exclude(orcid__isnull=True).exclude(orcid="").values_list("id", "orcid"):
            by_orcid[orcid_normalise(orcid)] = person_id
            orcid_of[person_id] = orcid_normalise(orcid)
        by_ror_and_name: dict[tuple[str, str, str], set[int]] = defaultdict(set)
        rows = (
            Affiliation.objects.exclude(organisation__ror_id__isnull=True)
            .exclude(organisation__ror_id="")
            .values_list("organisation__ror_id", "person_id", "person__family_name", "person__given_name")
        )
        for ror, person_id, family, given in rows:
            key = name_key(family, given)
            if key:
                by_ror_and_name[(ror, *key)].add(person_id)
        return cls(by_orcid=by_orcid, by_ror_and_name=dict(by_ror_and_name), orcid_of=orcid_of)

    def match(self, author: AuthorRecord) -> AuthorMatch:
        if author.orcid and author.orcid in self.by_orcid:
            return AuthorMatch(Authorship.Match.MATCHED, person_id=self.by_orcid[author.orcid])
        rors = [ror for ror in author.institution_rors if ror in self.rors]
        if not rors:
            return AuthorMatch(Authorship.Match.UNMATCHED)
        candidates: set[int] = set()
        keys = author_name_keys(author)
        for ror in rors:
            for family, initial in keys:
                candidates |= self.by_ror_and_name.get((ror, family, initial), set())
        if author.orcid:
            # Someone whose own ORCID iD differs is a different person, however alike the names.
            candidates = {c for c in candidates if self.orcid_of.get(c) in (None, author.orcid)}
        if len(candidates) == 1:
            return AuthorMatch(Authorship.Match.MATCHED, person_id=candidates.pop())
        if candidates:
            return AuthorMatch(Authorship.Match.REVIEW, candidate_ids=sorted(candidates))
        return AuthorMatch(Authorship.Match.UNMATCHED)

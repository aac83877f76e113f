"""Validators for the identifiers the partnership uses; each error says which identifier and why."""

import re

from django.core.exceptions import ValidationError

ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
ROR_RE = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}\d{2}$")
ODS_RE = re.compile(r"^[A-Z0-9]{3,6}$")
UKPRN_RE = re.compile(r"^1\d{7}$")
COMPANIES_HOUSE_RE = re.compile(r"^(\d{8}|(SC|NI|OC|SO|NC|R0|IP|SP|LP|SL|NL|RC|FC|SF|NF|GE|CE|CS|IC|SE|ES)\d{6})$")
# The UK postcode shapes (outward code, space, inward code), including GIR 0AA.
POSTCODE_RE = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPS-UW]|[A-HK-Y][0-9][ABEHMNPRV-Y])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)


def orcid_normalise(value: str) -> str:
    value = value.strip()
    for prefix in ("https://orcid.org/", "http://orcid.org/", "orcid.org/"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    return value.upper()


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2, as ORCID specifies for the last character."""
    digits = orcid.replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    result = (12 - total % 11) % 11
    expected = "X" if result == 10 else str(result)
    return digits[-1] == expected


def validate_orcid(value: str) -> None:
    orcid = orcid_normalise(value)
    if not ORCID_RE.match(orcid):
        raise ValidationError(
            f"ORCID iD “{value}” is not in the form 0000-0000-0000-0000 (16 digits, the last may be X).",
            code="orcid_format",
        )
    if not orcid_checksum_ok(orcid):
        raise ValidationError(
            f"ORCID iD “{value}” has a wrong check digit; please copy it again from orcid.org.",
            code="orcid_checksum",
        )


def ror_normalise(value: str) -> str:
    value = value.strip()
    for prefix in ("https://ror.org/", "http://ror.org/", "ror.org/"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    return value.lower()


def validate_ror(value: str) -> None:
    if not ROR_RE.match(ror_normalise(value)):
        raise ValidationError(
            f"ROR id “{value}” is not a ROR identifier: it should be 9 characters starting with 0 "
            "(for example https://ror.org/05j0ve876).",
            code="ror_format",
        )


def validate_ods_code(value: str) -> None:
    if not ODS_RE.match(value.strip().upper()):
        raise ValidationError(
            f"ODS code “{value}” is not an NHS ODS code: it should be 3 to 6 letters or digits (for example RRK).",
            code="ods_format",
        )


def validate_ukprn(value: str) -> None:
    if not UKPRN_RE.match(str(value).strip()):
        raise ValidationError(
            f"UKPRN “{value}” is not a UK Provider Reference Number: it should be 8 digits starting with 1.",
            code="ukprn_format",
        )


def validate_companies_house_number(value: str) -> None:
    if not COMPANIES_HOUSE_RE.match(value.strip().upper()):
        raise ValidationError(
            f"Companies House number “{value}” should be 8 digits, or 2 letters and 6 digits (for example SC123456).",
            code="companies_house_format",
        )


def postcode_normalise(value: str) -> str:
    compact = re.sub(r"\s+", "", value.upper())
    if len(compact) < 5:
        return value.strip().upper()
    return f"{compact[:-3]} {compact[-3:]}"


def validate_postcode(value: str) -> None:
    if not POSTCODE_RE.match(postcode_normalise(value)):
        raise ValidationError(f"Postcode “{value}” is not a UK postcode (for example B15 2TT).", code="postcode_format")

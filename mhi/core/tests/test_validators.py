import pytest
from django.core.exceptions import ValidationError

from mhi.core import validators


@pytest.mark.parametrize(
    "value",
    ["0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X"],
)
def test_valid_orcids_pass(value):
    validators.validate_orcid(value)


def test_orcid_with_wrong_check_digit_is_refused_with_reason():
    with pytest.raises(ValidationError) as exc:
        validators.validate_orcid("0000-0002-1825-0098")
    assert exc.value.messages == [
        "ORCID iD “0000-0002-1825-0098” has a wrong check digit; please copy it again from orcid.org."
    ]


def test_orcid_in_wrong_shape_is_refused_with_reason():
    with pytest.raises(ValidationError) as exc:
        validators.validate_orcid("1234")
    assert exc.value.code == "orcid_format"
    assert "0000-0000-0000-0000" in exc.value.messages[0]


def test_orcid_normalise_strips_the_url_and_uppercases_x():
    assert validators.orcid_normalise(" https://orcid.org/0000-0002-1694-233x ") == "0000-0002-1694-233X"


@pytest.mark.parametrize(
    ("validator", "good", "bad", "code"),
    [
        (validators.validate_ror, "https://ror.org/05j0ve876", "https://ror.org/ABC", "ror_format"),
        (validators.validate_ods_code, "RRK", "R-K", "ods_format"),
        (validators.validate_ukprn, "10007759", "20007759", "ukprn_format"),
        (validators.validate_postcode, "b15 2tt", "B15", "postcode_format"),
        (validators.validate_companies_house_number, "SC123456", "ABC", "companies_house_format"),
    ],
)
def test_identifier_validators_accept_good_and_name_the_bad(validator, good, bad, code):
    validator(good)
    with pytest.raises(ValidationError) as exc:
        validator(bad)
    assert exc.value.code == code
    assert f"“{bad}”" in exc.value.messages[0]


def test_postcode_normalise_inserts_the_space():
    assert validators.postcode_normalise("le17rh") == "LE1 7RH"
    assert validators.postcode_normalise("B4 7ET") == "B4 7ET"

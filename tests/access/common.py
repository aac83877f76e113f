"""Expected-status maps shared by the access rules."""

from tests.personas import PERSONAS

ALL_200 = dict.fromkeys(PERSONAS, 200)
SIGNED_IN_200 = {**dict.fromkeys(PERSONAS, 200), "anonymous": 302}
COORDINATOR_ONLY = {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "coordinator": 200}
ADMINS = {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "coordinator": 200, "aston_admin": 200}


def only(statuses: dict, *, default: int, anonymous: int) -> dict:
    """{persona: status} with `default` for every persona not named and `anonymous` for the anonymous one."""
    return {**dict.fromkeys(PERSONAS, default), "anonymous": anonymous, **statuses}

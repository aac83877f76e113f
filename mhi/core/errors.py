"""Domain errors: exceptions whose message a user can act on. Views and the API turn them into
form errors, 409 or 422 responses with that message."""


class DomainError(Exception):
    """A rule of the domain refused the operation."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class ImportFailed(DomainError):
    """An import refused a file; `problems` lists every bad row as (file, row, column, message)."""

    def __init__(self, problems: list["RowProblem"]):
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}")


class RowProblem:
    def __init__(self, *, file: str, row: int, column: str, message: str):
        self.file, self.row, self.column, self.message = file, row, column, message

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column “{self.column}”: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "message": self.message}


def domain_error_from_validation(exc) -> DomainError:
    """A model's ValidationError as a DomainError with its first field's messages, naming that field (none for
    errors of the whole record)."""
    if hasattr(exc, "error_dict"):
        name, errors = next(iter(exc.error_dict.items()))
        message = " ".join(m for e in errors for m in e.messages)
        return DomainError(message, field=None if name == "__all__" else name)
    return DomainError(" ".join(exc.messages))

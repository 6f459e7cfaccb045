"""The error every app raises when a person's action is refused."""


class WorkflowError(Exception):
    """A refused action, with a sentence for the person who tried it (HTTP 409 in an API)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

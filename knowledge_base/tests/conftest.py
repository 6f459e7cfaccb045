import pytest

from core.tests.api_support import actors  # noqa: F401  (the API tests' one user per role)


@pytest.fixture
def agent(db):
    from .factories import DESK_AGENT, UserFactory

    return UserFactory(username="kb-agent", role=DESK_AGENT)


@pytest.fixture
def resolver(db):
    from .factories import RESOLVER, UserFactory

    return UserFactory(username="kb-resolver", role=RESOLVER)


@pytest.fixture
def manager(db):
    from .factories import INCIDENT_MANAGER, UserFactory

    return UserFactory(username="kb-manager", role=INCIDENT_MANAGER)


@pytest.fixture
def end_user(db):
    from .factories import UserFactory

    return UserFactory(username="kb-end-user")

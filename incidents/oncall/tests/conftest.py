from incidents.tests.conftest import *  # noqa: F403  (the incident fixtures, for this package)

"""The bulk writer is tested on real tables: the incident fixtures serve here too."""

from incidents.tests.conftest import *  # noqa: F403

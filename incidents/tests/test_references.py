"""References are INC-000001, INC-000002, ... unique even when incidents are opened at once."""

import threading

import pytest
from django.db import connection

from incidents.models import Incident

from .factories import make_incident


def test_references_count_up_from_one(db):
    refs = [make_incident().reference for _ in range(3)]
    assert refs == ["INC-000001", "INC-000002", "INC-000003"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_share_a_reference(require_postgres, reporter):
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def submit():
        try:
            barrier.wait()
            for _ in range(5):
                make_incident(reporter=reporter)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    refs = list(Incident.objects.values_list("reference", flat=True))
    assert len(refs) == 40 == len(set(refs))

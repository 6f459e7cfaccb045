"""Deflections record who found their answer in the knowledge base instead of opening an incident."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError

from knowledge_base import services
from knowledge_base.models import Deflection

from .factories import ArticleFactory, KnownErrorFactory

pytestmark = pytest.mark.django_db


def test_a_deflection_records_the_user_their_text_and_the_item_that_solved_it(end_user):
    item = KnownErrorFactory()
    deflection = services.record_deflection(end_user, "  vpn error 809 at home  ", known_error=item)
    deflection.refresh_from_db()
    assert (deflection.user, deflection.text, deflection.known_error, deflection.article) == (
        end_user, "vpn error 809 at home", item, None)
    assert deflection.created_at is not None


def test_an_article_can_be_credited(end_user):
    article = ArticleFactory()
    assert services.record_deflection(end_user, "reset password", article=article).solved_by == article


@pytest.mark.parametrize("which", ["neither", "both"])
def test_exactly_one_item_is_credited(end_user, which):
    kwargs = {} if which == "neither" else {"known_error": KnownErrorFactory(), "article": ArticleFactory()}
    with pytest.raises(ValueError):
        services.record_deflection(end_user, "text", **kwargs)
    assert not Deflection.objects.exists()


def test_the_database_refuses_a_deflection_credited_to_two_items():
    with pytest.raises(IntegrityError):
        Deflection.objects.create(text="x", known_error=KnownErrorFactory(), article=ArticleFactory())


def test_long_text_and_nul_bytes_are_cleaned(end_user):
    deflection = services.record_deflection(end_user, "a\x00b" + "x" * 10_000, known_error=KnownErrorFactory())
    assert deflection.text.startswith("ab") and len(deflection.text) == services.DEFLECTION_TEXT_LIMIT


def test_an_anonymous_visitor_is_recorded_without_a_user():
    deflection = services.record_deflection(AnonymousUser(), "vpn", known_error=KnownErrorFactory())
    assert deflection.user is None

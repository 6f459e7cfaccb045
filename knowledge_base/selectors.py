"""Reads of the knowledge base that other apps and surfaces share: what matches a text, and the
items behind the matches. The visibility rule is here once: end users see published public items
only; staff who may open an item in the admin see every item in every state there (and in the API),
and every published item among the suggestions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import matching
from .matching import ARTICLE, KNOWN_ERROR, Suggestion
from .models import Article, Audience, KnownError

__all__ = ["ARTICLE", "KNOWN_ERROR", "Suggestion", "public_articles", "public_item", "public_known_errors",
           "published_known_errors", "sees_every_item", "suggest", "suggest_for", "visible_articles",
           "visible_known_errors"]


def suggest(text: str, *, limit: int = 5, public_only: bool = False) -> list[Suggestion]:
    """Published known errors and articles ranked against the text (`matching.suggest`)."""
    return matching.suggest(text, limit=limit, public_only=public_only)


def published_known_errors(ids: Iterable[int]) -> dict[int, KnownError]:
    """Published known errors by id, in one query (ids of items no longer published are left out)."""
    return KnownError.objects.published().in_bulk(list(ids))


def sees_every_item(user, model: type[KnownError] | type[Article]) -> bool:
    """Whoever may open the model in the admin (its view or change permission: every staff role)
    reads drafts, retired and internal items too; everyone else reads what the portal shows."""
    if not getattr(user, "is_authenticated", False):
        return False
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}")


def public_known_errors() -> QuerySet[KnownError]:
    """Known errors an end user may read: published, with a public workaround."""
    return KnownError.objects.published().filter(public=True)


def public_articles() -> QuerySet[Article]:
    """Articles an end user may read: published, for a public audience."""
    return Article.objects.published().filter(audience=Audience.PUBLIC)


def visible_known_errors(user) -> QuerySet[KnownError]:
    return KnownError.objects.all() if sees_every_item(user, KnownError) else public_known_errors()


def visible_articles(user) -> QuerySet[Article]:
    return Article.objects.all() if sees_every_item(user, Article) else public_articles()


def suggest_for(user, text: str, *, limit: int = 5) -> list[Suggestion]:
    """The suggestions this user may be shown: staff get every published item, end users the
    public ones only, as the portal's deflection offers them."""
    staff = sees_every_item(user, KnownError) and sees_every_item(user, Article)
    return suggest(text, limit=limit, public_only=not staff)


def public_item(kind: str, pk: int | str) -> KnownError | Article | None:
    """A published item an end user may read, or None: drafts, retired and internal items are not
    there for them."""
    if not str(pk).isdigit():
        return None
    if kind == KNOWN_ERROR:
        return public_known_errors().filter(pk=pk).first()
    if kind == ARTICLE:
        return public_articles().filter(pk=pk).first()
    return None


# "Most used" counts the problems an answer solved on the portal in this window: what helps now.
MOST_USED_WINDOW = timedelta(days=90)


def most_used_public_answers(*, limit: int = 5) -> list[KnownError | Article]:
    """The public answers (known errors with a public workaround, public articles) that solved the
    most problems on the portal lately (deflections in `MOST_USED_WINDOW`), then the most recently
    published, so that a new portal offers something too. Each carries `uses`. Two queries."""
    since = timezone.now() - MOST_USED_WINDOW
    uses = Count("deflections", filter=Q(deflections__created_at__gte=since))
    rows: list[KnownError | Article] = []
    for queryset in (public_known_errors(), public_articles()):
        rows += queryset.annotate(uses=uses).order_by("-uses", "-published_at", "pk")[:limit]
    never = timezone.now() - timedelta(days=36500)
    rows.sort(key=lambda item: (-item.uses, -(item.published_at or never).timestamp(), item.pk))
    return rows[:limit]

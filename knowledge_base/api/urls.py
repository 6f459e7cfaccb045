"""The knowledge_base routes of /api/v1/ (registered on the one router in itsm/urls.py)."""

from .views import ArticleViewSet, KnownErrorViewSet

routes: list = [
    ("known-errors", KnownErrorViewSet, "known-error"),
    ("articles", ArticleViewSet, "article"),
]

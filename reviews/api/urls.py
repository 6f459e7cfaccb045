"""The reviews routes of /api/v1/ (registered on the one router in itsm/urls.py)."""

from .views import ActionItemViewSet, ReviewViewSet

routes: list = [
    ("reviews", ReviewViewSet, "review"),
    ("action-items", ActionItemViewSet, "action-item"),
]

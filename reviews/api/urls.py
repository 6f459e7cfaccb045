"""The reviews routes of /api/v1/ (registered on the one router in itsm/urls.py)."""

routes: list = []

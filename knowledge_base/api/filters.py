"""Query filters of the known-error and article lists. They narrow what the caller may already see
(`selectors.visible_*`); they never widen it."""

from __future__ import annotations

from django_filters import rest_framework as filters

from ..models import Article, ArticleKind, Audience, FixStatus, KnownError
from ..selectors import sees_every_item
from ..workflow import State


class StaffOnlyFilters(filters.FilterSet):
    """Filters on fields end users are not shown are dropped for them: filtering on a hidden flag
    would tell them its value one row at a time."""

    staff_only: tuple[str, ...] = ()

    def __init__(self, *args, request=None, **kwargs) -> None:
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if not sees_every_item(user, self._meta.model):
            for name in self.staff_only:
                self.filters.pop(name, None)


class KnownErrorFilter(StaffOnlyFilters):
    state = filters.MultipleChoiceFilter(choices=State.choices, help_text="One or more states.")
    fix_status = filters.MultipleChoiceFilter(choices=FixStatus.choices, help_text="Where the permanent fix is.")
    category = filters.NumberFilter(field_name="category_id", help_text="A knowledge-base category's id.")
    affected_service = filters.CharFilter(lookup_expr="iexact", help_text="The affected service, exactly.")
    public = filters.BooleanFilter(help_text="Staff only: whether the workaround is shown to end users.")
    needs_permanent_fix = filters.BooleanFilter(help_text="Staff only: flagged as recurring.")

    staff_only = ("public", "needs_permanent_fix")

    class Meta:
        model = KnownError
        fields = ["state", "fix_status", "category", "affected_service", "public", "needs_permanent_fix"]


class ArticleFilter(StaffOnlyFilters):
    state = filters.MultipleChoiceFilter(choices=State.choices, help_text="One or more states.")
    kind = filters.ChoiceFilter(choices=ArticleKind.choices)
    audience = filters.ChoiceFilter(choices=Audience.choices, help_text="Staff only.")
    category = filters.NumberFilter(field_name="category_id", help_text="A knowledge-base category's id.")

    staff_only = ("audience",)

    class Meta:
        model = Article
        fields = ["state", "kind", "audience", "category"]

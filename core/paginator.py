"""A paginator that stops counting: the incident list is large, and an exact count of a loose
filter (or of everything an agent may see) costs more than the page itself."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Paginator
from django.utils.functional import cached_property


class AtLeast(int):
    """A count that stopped at its cap: a number for the arithmetic, "5000+" wherever it is shown
    (the paginator line, "5000+ results" by the search box, "Select all 5000+ incidents")."""

    def __str__(self) -> str:
        return f"{int(self)}+"


class CappedCountPaginator(Paginator):
    """Counts at most `cap` rows, with one `COUNT(*)` over a `LIMIT cap + 1` subquery that walks
    the list's sort index and stops. Past the cap the count is `AtLeast(cap)` and the pages end
    there; a narrower filter counts exactly."""

    cap = 5000

    @cached_property
    def count(self) -> int:
        counted = self.object_list[: self.cap + 1].count()
        return AtLeast(self.cap) if counted > self.cap else counted

    @property
    def capped(self) -> bool:
        return isinstance(self.count, AtLeast)

    def validate_number(self, number) -> int:
        # A page past the cap (an old bookmark, a typed URL) shows the last counted page instead
        # of sending the user back to an unfiltered list.
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.capped and int(number) > 1:
                return self.num_pages
            raise

"""A paginator that stops counting: the incident list is large, and an exact count of a loose
filter (or of everything an agent may see) costs more than the page itself."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counts at most `cap` rows, with one `COUNT(*)` over a `LIMIT cap + 1` subquery that walks
    the list's sort index and stops. Past the cap, `capped` is true, the list says "5000+" and its
    pages end there; a narrower filter counts exactly."""

    cap = 5000
    capped = False  # known once `count` has been read

    @cached_property
    def count(self) -> int:
        counted = self.object_list[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)

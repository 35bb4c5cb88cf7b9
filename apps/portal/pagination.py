"""Pagination for portal lists: ``page_of(request, queryset)`` and ``{% include "portal/_pagination.html" %}``.

The page number travels as ``?page=``; every other query parameter (the filters) is kept in the links by
Django's ``{% querystring %}`` tag. Lists must be ordered (a stable order: end with the primary key).
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator

DEFAULT_PER_PAGE = 25


def page_of(request, object_list, *, per_page: int = DEFAULT_PER_PAGE) -> Page:
    """The requested page; out-of-range or malformed page numbers give the nearest real page, never a 404."""
    return Paginator(object_list, per_page).get_page(request.GET.get("page"))

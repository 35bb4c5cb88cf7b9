"""Pagination for portal lists: ``page_of(request, queryset)`` and ``{% include "portal/_pagination.html" %}``;
``filtered_page`` for a list with a filter bar (``{% include "portal/_filters.html" %}``).

The page number travels as ``?page=``; every other query parameter (the filters) is kept in the links by
Django's ``{% querystring %}`` tag. Lists must be ordered (a stable order: end with the primary key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.forms import Form

DEFAULT_PER_PAGE = 25


def page_of(request, object_list, *, per_page: int | None = None) -> Page:
    """The requested page (``per_page`` rows, else ``DEFAULT_PER_PAGE`` read when called); out-of-range or malformed
    page numbers give the nearest real page, never a 404."""
    return Paginator(object_list, per_page or DEFAULT_PER_PAGE).get_page(request.GET.get("page"))


def filtered_page(
    request, form_class: type[Form], select: Callable[[dict[str, Any]], Any], *, default: dict | None = None,
    per_page: int | None = None,
) -> tuple[Form, Page]:
    """A list page's shape: the filter form bound to the query (``default`` when there is none), its valid criteria
    given to ``select`` (criteria of an invalid form: none, the whole list) and the requested page of what it returns.
    """
    filters = form_class(request.GET or default)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    return filters, page_of(request, select(criteria), per_page=per_page)

"""Cursor pagination: stable under concurrent inserts, which page numbers are not."""

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class AscendingIdCursorPagination(IdCursorPagination):
    ordering = "id"

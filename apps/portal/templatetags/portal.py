"""Template filters of the portal: ``{{ minor|money:currency }}``, ``{{ minor|amount:currency }}``, ``{{ at|when }}``.

Load with ``{% load portal %}``; the formats are those of ``apps.portal.formatting``.
"""

from django import template

from apps.portal import formatting

register = template.Library()


@register.filter
def money(minor, currency):
    return formatting.money_text(minor, currency)


@register.filter
def amount(minor, currency):
    return formatting.amount_text(minor, currency)


@register.filter
def when(value):
    return formatting.time_text(value)


@register.filter
def signed_class(minor):
    """CSS class of an amount: debits and credits read apart (not by colour alone: the sign stays)."""
    return "debit" if minor is not None and minor < 0 else "credit"

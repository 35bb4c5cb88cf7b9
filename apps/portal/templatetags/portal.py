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


@register.filter
def release_needs_approval(payment) -> bool:
    """A held payment above the four-eyes threshold: its Release button proposes a PAYMENT_RELEASE approval."""
    from apps.portal.operations import payment_release_needs_approval

    return payment_release_needs_approval(payment)


@register.filter
def listed(value) -> str:
    """A JSON value as text: a list as its items joined with commas (figures and parameters of AML records)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return "—" if value in (None, "") else str(value)

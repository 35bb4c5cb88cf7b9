"""Every write of the inbound app: receive messages, resolve exception items, talk to the networks."""

from .erasure import inbound_subject_erase
from .exceptions import exception_apply, exception_return, exceptions_return_due
from .network import inbound_poll, inbound_return_send, inbound_tick, returns_send_pending
from .recalls import recall_answer_send, recall_answers_send_pending
from .receive import ItemResult, ReceiveResult, message_receive

__all__ = [
    "ItemResult",
    "ReceiveResult",
    "exception_apply",
    "exception_return",
    "exceptions_return_due",
    "inbound_poll",
    "inbound_subject_erase",
    "inbound_return_send",
    "inbound_tick",
    "message_receive",
    "recall_answer_send",
    "recall_answers_send_pending",
    "returns_send_pending",
]

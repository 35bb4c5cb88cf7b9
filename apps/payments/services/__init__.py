"""Every write of the payments app: orders (send, release, reject, cancel) and their submission to the networks."""

from .ach import ach_cutoff_tick, ach_file_answer_record, ach_file_create, ach_file_submit
from .correspondents import correspondent_register
from .erasure import payments_subject_erase
from .feeds import acks_poll, answer_record, network_tick
from .orders import (
    SendResult,
    account_alias_register,
    payment_cancel,
    payment_reject_held,
    payment_release,
    payment_send,
)
from .returns import NetworkNotice, ReturnOutcome, payment_apply_change_notice, payment_return
from .submission import (
    SubmitOutcome,
    ack_record,
    payment_retry_failed,
    payment_submit,
    payments_requeue_stale,
)

__all__ = [
    "ach_cutoff_tick",
    "ach_file_answer_record",
    "ach_file_create",
    "ach_file_submit",
    "answer_record",
    "correspondent_register",
    "payments_subject_erase",
    "NetworkNotice",
    "ReturnOutcome",
    "SendResult",
    "SubmitOutcome",
    "account_alias_register",
    "ack_record",
    "acks_poll",
    "payment_apply_change_notice",
    "payment_cancel",
    "payment_reject_held",
    "payment_release",
    "payment_retry_failed",
    "payment_return",
    "payment_send",
    "payment_submit",
    "network_tick",
    "payments_requeue_stale",
]

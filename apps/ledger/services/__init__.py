"""Every write to the ledger. Reads are in ``apps.ledger.selectors``.

- ``engine``: lock, replay check, balance check, write - the one posting path (see its docstring);
- ``postings``: deposits, withdrawals, fees, transfers (with FX), reversals;
- ``holds``: place, capture, void, expire;
- ``batch``: many entries in one transaction (and ``holds.hold_captures_batch_in_transaction``: many captures);
- ``fx``: recording rates;
- ``accounts``: the opening deposit and closing of an account;
- ``hot``: high-volume GL accounts.
"""

from .accounts import account_change_status, account_open, account_open_or_replay
from .batch import BatchItem, BatchResult, post_batch
from .common import MAX_DESCRIPTION, PostingResult
from .fx import fx_rate_set
from .holds import (
    BatchCapture,
    BatchCaptured,
    HoldResult,
    accounts_lock_in_transaction,
    hold_capture,
    hold_capture_in_transaction,
    hold_captures_batch_in_transaction,
    hold_place,
    hold_place_in_transaction,
    hold_reduce_in_transaction,
    hold_void,
    hold_void_in_transaction,
    holds_expire,
)
from .hot import account_set_hot
from .postings import (
    POSTING_TYPES,
    post_by_type,
    post_deposit,
    post_fee,
    post_fee_in_transaction,
    post_partial_reversal_in_transaction,
    post_reversal,
    post_reversal_in_transaction,
    post_transfer,
    post_transfer_in_transaction,
    post_withdrawal,
)

__all__ = [
    "accounts_lock_in_transaction",
    "MAX_DESCRIPTION",
    "POSTING_TYPES",
    "BatchCapture",
    "BatchCaptured",
    "BatchItem",
    "BatchResult",
    "HoldResult",
    "PostingResult",
    "account_change_status",
    "account_open",
    "account_open_or_replay",
    "account_set_hot",
    "fx_rate_set",
    "hold_capture",
    "hold_capture_in_transaction",
    "hold_captures_batch_in_transaction",
    "hold_place_in_transaction",
    "hold_reduce_in_transaction",
    "hold_void_in_transaction",
    "post_fee_in_transaction",
    "hold_place",
    "hold_void",
    "holds_expire",
    "post_batch",
    "post_by_type",
    "post_deposit",
    "post_fee",
    "post_partial_reversal_in_transaction",
    "post_reversal",
    "post_reversal_in_transaction",
    "post_transfer_in_transaction",
    "post_transfer",
    "post_withdrawal",
]

"""The ledger's invariants for the stateful and crash tests: one home, apps/ledger/invariants.py."""

from apps.ledger.invariants import ledger_violations

__all__ = ["ledger_violations"]

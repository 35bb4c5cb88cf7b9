"""AML transaction monitoring: rules as data (``MonitoringRule``), evaluated after postings and payments commit.

- ``movements``: what a rule sees of a transaction (one customer's side of it) and of a payment; read-only queries.
- ``rules``: one evaluator per rule kind, a pure function of the rule's parameters, the trigger and the history.
- ``services``: rule edits (each a new version), alert raising (one alert per finding, joined to the customer's
  case), evaluation of transactions, payments and the periodic sweep.
- ``hooks``: the after-commit subscriber on the ledger and the payment check that schedule an evaluation.
"""

"""Network sandboxes: one process per payment rail that behaves like the real network, for tests.

``manage.py run_network_sandbox --rail sepa --port 8701`` serves an HTTP API that receives our
messages (SEPA SCT / SCT Inst and CBPR+ pacs.008, SWIFT MT103/MT202, Fedwire FAIM, NACHA files),
validates them with :mod:`apps.payments.formats`, and answers after a delay the way the network
does: pacs.002 ACCP/ACSC/RJCT, MT900/MT910/MT199, the Fed's acknowledgement with OMAD, ACH file
acknowledgements and return files. Every answer is built with our format builders, so it reads back
with our parsers. No database: state lives in memory, optionally in a JSON file.

Protocol (the same for every rail; ``<rail>`` is sepa, sepa_inst, swift, fedwire or ach):

* ``POST /<rail>/messages`` (ACH: ``POST /ach/files``) with the raw message as the body ->
  ``202 {"network_reference", "message_id", "duplicate", "times_seen", ...}``. An invalid message
  is accepted at the HTTP level too; the network's rejection arrives like any other answer.
* ``GET /<rail>/messages/<id>/status`` (ACH: ``/ach/files/<id>/status``), ``<id>`` being the
  network reference or the message's own id (UETR, IMAD, ACH file id) -> the answers published so far.
* ``GET /<rail>/acks?since=<cursor>&limit=<n>`` -> an ordered feed of answers after ``cursor``; like a
  real network it may repeat an answer (same ``reply_id``) or deliver them out of order.
* ``GET /_sandbox/seen?id=<id>`` -> how many times the network saw that id; ``GET /_sandbox/health``.

Faults: rates (``--reject-rate``, ``--timeout-rate``, ``--duplicate-ack-rate``, ``--out-of-order-rate``,
``--return-rate``) drawn from a seeded RNG per message id, and per request ``X-Sandbox-Outcome``
(``accept``, ``reject[:CODE]``, ``timeout``, ``return[:CODE]``, plus ``duplicate_ack``,
``out_of_order`` and ``stall``, comma-separated). See :mod:`.outcomes`.
"""

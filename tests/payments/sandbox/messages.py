"""Valid messages for each rail, with fresh ids so tests sharing one sandbox do not collide."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

from apps.payments.formats.fedwire import Imad, build_fedwire_message
from apps.payments.formats.iso20022 import (
    AppHdr,
    BusinessMessage,
    SEPAProtocol,
    build_business_message,
)
from apps.payments.formats.iso20022.common import Agent
from apps.payments.formats.nacha import AchFile, Batch, EntryDetail, build_ach_file, make_trace_number
from apps.payments.formats.swift_mt import SWIFTProtocol
from tests.payments.formats.test_fedwire_golden import sample_ctr
from tests.payments.formats.test_nacha_golden import ODFI, sample_batch_header, sample_file_header

_counter = itertools.count(1)


def new_uetr() -> str:
    return str(uuid.uuid4())


def sct(*, instant: bool = False, uetr: str | None = None, amount: str = "150.00") -> tuple[bytes, str]:
    """Return (pacs.008 bytes, UETR) of a SEPA credit transfer."""
    uetr = uetr or new_uetr()
    protocol = SEPAProtocol()
    create = protocol.create_sct_inst if instant else protocol.create_sct_interbank
    message = create(
        debtor_iban="DE89370400440532013000",
        debtor_name="Max Mustermann",
        creditor_iban="FR1420041010050500013M02606",
        creditor_name="Pierre Dupont",
        amount=Decimal(amount),
        reference=f"E2E-{next(_counter)}",
        uetr=uetr,
        debtor_bic="COBADEFFXXX",
        creditor_bic="BNPAFRPPXXX",
    )
    return message.to_xml(), uetr


def cbpr_pacs008(uetr: str | None = None) -> tuple[bytes, str]:
    """Return (AppHdr + pacs.008 envelope bytes, UETR) of a CBPR+ payment."""
    uetr = uetr or new_uetr()
    raw, _ = sct(uetr=uetr)
    from apps.payments.formats.iso20022 import parse_pacs008

    document = parse_pacs008(raw)
    document = dataclasses.replace(
        document, service_level=None, settlement_method="INDA", clearing_system=None,
        transactions=tuple(dataclasses.replace(tx, charge_bearer="SHAR") for tx in document.transactions),
    )
    header = AppHdr(
        sender=Agent(bic="COBADEFFXXX"),
        receiver=Agent(bic="BNPAFRPPXXX"),
        business_message_id=document.message_id,
        message_definition_id="pacs.008.001.08",
        created=datetime(2024, 1, 5, 9, 30, tzinfo=UTC),
    )
    return build_business_message(BusinessMessage(header=header, document=document)), uetr


def mt103(*, uetr: str | None = None, reference: str | None = None) -> tuple[bytes, str, str]:
    """Return (FIN bytes, UETR, :20: reference) of an MT103."""
    uetr = uetr or new_uetr()
    reference = reference or f"REF{next(_counter):010d}"
    message = SWIFTProtocol().create_mt103(
        sender_bic="CHASUS33XXX",
        receiver_bic="DEUTDEFFXXX",
        sender_account="123456789",
        receiver_account="987654321",
        amount=Decimal("100000.00"),
        currency="USD",
        reference=reference,
        remittance_info="Invoice 42",
        value_date=date(2024, 1, 5),
        uetr=uetr,
    )
    return message.to_bytes(), uetr, reference


def fedwire_ctr() -> tuple[bytes, str]:
    """Return (FAIM bytes, IMAD) of a customer transfer with a fresh IMAD sequence."""
    imad = Imad(date(2024, 1, 5), "QMGFT015", f"{next(_counter) + 500000:06d}")
    return build_fedwire_message(dataclasses.replace(sample_ctr(), imad=imad)), str(imad)


def ach_file(
    *, modifier: str = "A", first_trace: int | None = None, minute: int | None = None
) -> tuple[bytes, list[str]]:
    """Return (NACHA bytes, trace numbers) of a PPD file with two credits; fresh file id and traces by default."""
    number = next(_counter)
    first = first_trace if first_trace is not None else number * 10
    traces = [make_trace_number(ODFI, first), make_trace_number(ODFI, first + 1)]
    entries = (
        EntryDetail(22, "021000021", "12345678901", 150_000, "JOHN SMITH", traces[0], "EMP0001"),
        EntryDetail(32, "011000015", "998877", 2_500, "MARIA GARCIA", traces[1], "EMP0002"),
    )
    header = dataclasses.replace(
        sample_file_header(modifier),
        file_creation_time=time((number // 60) % 24, minute if minute is not None else number % 60),
        file_creation_date=date(2024, 1, 5),
    )
    raw = build_ach_file(AchFile(header, (Batch(sample_batch_header("PPD"), entries),)))
    return raw, traces

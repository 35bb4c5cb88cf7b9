"""Build a small camt.052/053/054 document of any version (001.01-001.12), as a bank would send it.

The layout follows what every version's XSD requires; the version differences handled here are the ones
the reader absorbs: ``<Sts>BOOK</Sts>`` before V07 and ``<Sts><Cd>BOOK</Cd></Sts>`` after, balance types
``Tp/Cd`` in V01 and ``Tp/CdOrPrtry/Cd`` later, related parties wrapped in ``Pty`` from V08, UETR from V07.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

LAYOUT = {
    "052": ("BkToCstmrAcctRpt", "Rpt"),
    "053": ("BkToCstmrStmt", "Stmt"),
    "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}


@dataclass(frozen=True)
class Line:
    amount: str
    credit_debit: str  # CRDT / DBIT
    end_to_end_id: str = "NOTPROVIDED"
    uetr: str | None = None
    value_date: str | None = None  # default: the statement's day
    remittance: str = "Invoice 42"


def camt_document(
    family: str,
    version: int,
    lines: list[Line],
    *,
    opening: str = "1000.00",
    opening_side: str = "CRDT",
    closing: str | None = None,
    closing_side: str = "CRDT",
    iban: str = "DE89370400440532013000",
    currency: str = "EUR",
    statement_id: str = "STMT-1",
    day: str = "2026-12-01",
) -> bytes:
    v = f"{version:02d}"
    root, report = LAYOUT[family]
    status = "<Sts>BOOK</Sts>" if version < 7 else "<Sts><Cd>BOOK</Cd></Sts>"
    balances = ""
    if family != "054":
        if closing is None:
            total = Decimal(opening) * (1 if opening_side == "CRDT" else -1)
            for line in lines:
                total += Decimal(line.amount) * (1 if line.credit_debit == "CRDT" else -1)
            closing, closing_side = f"{abs(total):.2f}", "CRDT" if total >= 0 else "DBIT"
        for code, amount, side in (("OPBD", opening, opening_side), ("CLBD", closing, closing_side)):
            kind = f"<Cd>{code}</Cd>" if version == 1 else f"<CdOrPrtry><Cd>{code}</Cd></CdOrPrtry>"
            balances += (
                f'<Bal><Tp>{kind}</Tp><Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
                f"<Dt><Dt>{day}</Dt></Dt></Bal>"
            )
    entries = ""
    for line in lines:
        uetr = f"<UETR>{line.uetr}</UETR>" if line.uetr and version >= 8 else ""
        detail_amount = (
            f'<Amt Ccy="{currency}">{line.amount}</Amt><CdtDbtInd>{line.credit_debit}</CdtDbtInd>'
            if version >= 3
            else ""
        )
        open_details, close_details = (
            ("<TxDtls>", "</TxDtls>") if version == 1 else ("<NtryDtls><TxDtls>", "</TxDtls></NtryDtls>")
        )
        counterparty = "Dbtr" if line.credit_debit == "CRDT" else "Cdtr"
        name = "<Pty><Nm>ACME GmbH</Nm></Pty>" if version >= 7 else "<Nm>ACME GmbH</Nm>"
        domain = "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        entries += (
            f'<Ntry><Amt Ccy="{currency}">{line.amount}</Amt><CdtDbtInd>{line.credit_debit}</CdtDbtInd>{status}'
            f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{line.value_date or day}</Dt></ValDt>"
            f"<AcctSvcrRef>ASR-{line.end_to_end_id[:20]}</AcctSvcrRef>{domain}"
            f"{open_details}<Refs><EndToEndId>{line.end_to_end_id}</EndToEndId>{uetr}</Refs>{detail_amount}"
            f"<RltdPties><{counterparty}>{name}</{counterparty}></RltdPties>"
            f"<RmtInf><Ustrd>{line.remittance}</Ustrd></RmtInf>{close_details}</Ntry>"
        )
    account = f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>"
    body = (
        f"<{report}><Id>{statement_id}</Id><CreDtTm>{day}T18:00:00+00:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{day}T00:00:00+00:00</FrDtTm><ToDtTm>{day}T23:59:59+00:00</ToDtTm></FrToDt>"
        f"{account}{balances}{entries}</{report}>"
    )
    suffix = "V01" if version == 1 else ""  # V01 names its message root BkToCstmrStmtV01 etc.
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{family}.001.{v}">'
        f"<{root}{suffix}><GrpHdr><MsgId>MSG-{family}-{v}</MsgId>"
        f"<CreDtTm>{day}T18:00:00+00:00</CreDtTm></GrpHdr>"
        f"{body}</{root}{suffix}></Document>"
    ).encode()

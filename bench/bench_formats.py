"""Payment-format throughput: messages per second to build and to parse+validate, per format.

    .venv/bin/python bench/bench_formats.py                    # full run (60-90 s on 2 cores)
    .venv/bin/python bench/bench_formats.py --quick            # a tenth of the work, one repeat
    .venv/bin/python bench/bench_formats.py --iterations 500   # every case run 500 times per repeat

What it measures (no database; inputs are the golden files under tests/payments/formats/golden/):

* ``pacs.008``: ``build_pacs008`` (serialise + XSD + semantic checks) and ``iso20022.validate_raw``
  (parse + XSD + semantic checks + domain object) of the golden pacs.008.001.08, 10 000 times each;
* ``MT103``: ``build_mt103`` and ``swift_mt.validate_raw`` of the golden MT103, 10 000 times each;
* ``ACH 100``: a PPD file of 100 entries, built and validated 1 000 times (rates are files/s; multiply
  by 100 for entries/s);
* ``Fedwire``: the golden CTR (customer transfer), 10 000 times each;
* ``ISO 8583``: the golden 0100 authorisation request (hex bitmap), 10 000 times each.

* ``camt.053 stream``: a camt.053.001.02 of ``--statement-mb`` MB (default 10; 1 with ``--quick``) with one
  entry per ~1 KB, stream-validated (``cash_reports.validate_cash_report``: iterparse with the XSD plugged in,
  each entry checked and cleared) and parsed onto the statement model (``read_cash_report``), once each: time,
  entries/s and the process's peak-RSS growth, next to a plain ``lxml.etree.parse`` of the same file holding
  the whole tree (run after, so its growth is what the tree costs beyond the streaming peak).

Each case is warmed up (a tenth of its iterations), then timed ``--repeat`` times; the best repeat is
kept (the least disturbed by other processes). Two baselines are timed the same way in the same run:
``lxml.etree.fromstring`` of the same pacs.008 bytes (parse only, no schema) and ``json.loads`` of
the golden MT103 as a JSON object of the same fields. The ``/ baseline`` columns divide each rate by
the baseline rate (lxml for ISO 20022, json for the others): the machine is shared and noisy, so
absolute rates drift between runs while the ratios stay comparable.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOLDEN = ROOT / "tests" / "payments" / "formats" / "golden"


@dataclasses.dataclass
class Case:
    name: str
    iterations: int
    build: Callable[[], object]
    validate: Callable[[], object]
    baseline: str  # "lxml" or "json"


def _ach_file_of_100_entries():
    from apps.payments.formats import nacha

    template = nacha.parse((GOLDEN / "nacha" / "ppd.ach").read_bytes())
    batch = template.batches[0]
    entry = batch.entries[0]
    entries = tuple(
        dataclasses.replace(entry, trace_number=entry.trace_number[:8] + f"{n + 1:07d}", addenda=()) for n in range(100)
    )
    return dataclasses.replace(template, batches=(dataclasses.replace(batch, entries=entries),))


def _checked(validate_raw: Callable[[bytes], tuple[str, list]], raw: bytes) -> Callable[[], object]:
    message_type, errors = validate_raw(raw)
    if errors:
        raise SystemExit(f"benchmark input is not valid ({message_type}): {errors[0]}")
    return lambda: validate_raw(raw)


def make_cases(scale: float, iterations: int | None) -> tuple[list[Case], dict[str, Callable[[], object]]]:
    from lxml import etree

    from apps.payments.formats import fedwire, iso8583, iso20022, nacha, swift_mt

    def count(default: int) -> int:
        return iterations or max(1, int(default * scale))

    pacs_raw = (GOLDEN / "iso20022" / "pacs.008.001.08.xml").read_bytes()
    pacs = iso20022.parse(pacs_raw)
    mt_raw = (GOLDEN / "swift_mt" / "built_mt103.fin").read_bytes()
    mt103 = swift_mt.parse(mt_raw)
    ach = _ach_file_of_100_entries()
    ach_raw = nacha.build_ach_file(ach)
    fed_raw = (GOLDEN / "fedwire" / "ctr.txt").read_bytes()
    fed = fedwire.parse(fed_raw)
    card_raw = (GOLDEN / "iso8583" / "0100_hex_bitmap.bin").read_bytes()
    card = iso8583.parse(card_raw)

    cases = [
        Case(
            "pacs.008",
            count(10_000),
            lambda: iso20022.build_pacs008(pacs),
            _checked(iso20022.validate_raw, pacs_raw),
            "lxml",
        ),
        Case(
            "MT103", count(10_000), lambda: swift_mt.build_mt103(mt103), _checked(swift_mt.validate_raw, mt_raw), "json"
        ),
        Case(
            "ACH 100 entries",
            count(1_000),
            lambda: nacha.build_ach_file(ach),
            _checked(nacha.validate_raw, ach_raw),
            "json",
        ),
        Case(
            "Fedwire CTR",
            count(10_000),
            lambda: fedwire.build_fedwire_message(fed),
            _checked(fedwire.validate_raw, fed_raw),
            "json",
        ),
        Case(
            "ISO 8583 0100",
            count(10_000),
            lambda: iso8583.build_iso8583_message(card),
            _checked(iso8583.validate_raw, card_raw),
            "json",
        ),
    ]
    mt_json = json.dumps(dataclasses.asdict(mt103), default=str)
    baselines = {
        "lxml": lambda: etree.fromstring(pacs_raw),  # noqa: S320 - our own golden bytes
        "json": lambda: json.loads(mt_json),
    }
    return cases, baselines


_ENTRY = (
    '<Ntry><NtryRef>{n}</NtryRef><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>'
    "<BookgDt><Dt>2026-12-01</Dt></BookgDt><ValDt><Dt>2026-12-01</Dt></ValDt><AcctSvcrRef>ASR{n:010d}</AcctSvcrRef>"
    "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
    "<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{n:012d}</EndToEndId></Refs>"
    '<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>'
    "<RltdPties><Cdtr><Nm>Creditor {n} GmbH</Nm></Cdtr><CdtrAcct><Id><IBAN>FR1420041010050500013M02606</IBAN></Id>"
    "</CdtrAcct></RltdPties><RmtInf><Ustrd>Invoice {n} of the benchmark, paid in full with thanks</Ustrd></RmtInf>"
    "</TxDtls></NtryDtls><AddtlNtryInf>SEPA credit transfer {n}</AddtlNtryInf></Ntry>\n"
)


def write_large_statement(path: Path, megabytes: float) -> int:
    """Write a valid camt.053.001.02 of about ``megabytes`` MB; return its number of entries."""
    target = int(megabytes * 1024 * 1024)
    count = 0
    total_cents = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            "<BkToCstmrStmt><GrpHdr><MsgId>BENCH-1</MsgId><CreDtTm>2026-12-01T18:00:00</CreDtTm></GrpHdr>"
            "<Stmt><Id>BENCH-STMT</Id><CreDtTm>2026-12-01T18:00:00</CreDtTm>"
            "<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>"
            '<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            "<Dt><Dt>2026-12-01</Dt></Dt></Bal>\n"
        )
        closing_position = out.tell()
        out.write(" " * 200 + "\n")  # room for the closing balance, written once the entries are summed
        while out.tell() < target:
            count += 1
            cents = 100 + count % 9000
            total_cents -= cents
            out.write(_ENTRY.format(n=count, amount=f"{cents // 100}.{cents % 100:02d}", side="DBIT"))
        out.write("</Stmt></BkToCstmrStmt></Document>\n")
        out.seek(closing_position)
        closing = abs(total_cents)
        out.write(
            f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing // 100}.{closing % 100:02d}'
            "</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2026-12-01</Dt></Dt></Bal>"
        )
    return count


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def bench_large_statement(megabytes: float) -> None:
    """Stream-validate and parse a large camt.053; print time, entries/s and peak memory growth."""
    import tempfile

    from lxml import etree

    from apps.payments.formats.iso20022.cash_reports import read_cash_report, validate_cash_report

    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "camt053-large.xml"
        entries = write_large_statement(path, megabytes)
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"camt.053.001.02 of {size_mb:.1f} MB, {entries:,} entries (streamed from the file)")
        for label, run in (
            ("stream-validate", lambda: validate_cash_report(path)),
            ("parse to model", lambda: read_cash_report(path)),
        ):
            before = _peak_rss_mb()
            started = time.perf_counter()
            result = run()
            elapsed = time.perf_counter() - started
            if result.errors or result.entry_count != entries:
                raise SystemExit(f"large statement not read back: {result.errors[:1]} {result.entry_count}")
            growth = _peak_rss_mb() - before
            print(f"  {label:<16} {elapsed:>7.2f} s {entries / elapsed:>10,.0f} entries/s  peak RSS +{growth:,.0f} MB")
        before = _peak_rss_mb()
        started = time.perf_counter()
        tree = etree.parse(str(path))  # noqa: S320 - our own generated file
        elapsed = time.perf_counter() - started
        growth = _peak_rss_mb() - before
        del tree
        label = "lxml whole tree"
        print(f"  {label:<16} {elapsed:>7.2f} s {'':>10}             peak RSS +{growth:,.0f} MB (parse only)")
    print()


def rate(operation: Callable[[], object], iterations: int, repeat: int) -> float:
    """Return operations per second: warm up, then the best of ``repeat`` timed loops."""
    for _ in range(max(1, iterations // 10)):
        operation()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(iterations):
            operation()
        best = min(best, time.perf_counter() - started)
    return iterations / best if best > 0 else float("inf")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the iterations and one repeat")
    parser.add_argument("--iterations", type=int, help="run every case (and baseline) this many times per repeat")
    parser.add_argument("--repeat", type=int, help="timed repeats per case; the best is kept (default 2, quick 1)")
    parser.add_argument("--statement-mb", type=float, help="size of the streamed camt.053 (default 10, quick 1)")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 2)
    cases, baselines = make_cases(0.1 if args.quick else 1.0, args.iterations)

    started = time.perf_counter()
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}")
    bench_large_statement(args.statement_mb or (1.0 if args.quick else 10.0))
    baseline_iterations = args.iterations or (2_000 if args.quick else 20_000)
    baseline_rates = {name: rate(op, baseline_iterations, repeat) for name, op in baselines.items()}
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; best of {repeat} after warm-up")
    print(f"baseline lxml parse-only of the pacs.008 bytes: {baseline_rates['lxml']:>10,.0f} /s")
    print(f"baseline json.loads of the MT103 as JSON:       {baseline_rates['json']:>10,.0f} /s")
    print()
    header = f"{'format':<16} {'n':>6} {'build/s':>10} {'/ baseline':>10} {'parse+validate/s':>17} {'/ baseline':>10}"
    header += "  baseline"
    print(header)
    print("-" * len(header))
    for case in cases:
        built = rate(case.build, case.iterations, repeat)
        validated = rate(case.validate, case.iterations, repeat)
        base = baseline_rates[case.baseline]
        print(
            f"{case.name:<16} {case.iterations:>6} {built:>10,.0f} {built / base:>10.4f} "
            f"{validated:>17,.0f} {validated / base:>10.4f}  {case.baseline}"
        )
    print()
    print("/ baseline: the rate divided by the baseline's rate in this run; ACH rates are files of 100 entries")
    print(f"total time: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

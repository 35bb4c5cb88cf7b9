"""Every pacs/pain/camt.056/camt.029 version we read: validated with its own official XSD, read onto one model.

The samples under ``golden/iso20022/versions/`` are written by ``make_version_samples.py`` from our golden
files (see its docstring); here each is checked with a plain lxml XMLSchema of its version (independent of
our pipeline), then read through the uniform entry points, and the domain object is compared with the one
read from the golden file it came from: the same payment, whatever the version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from apps.payments.formats.detect import validate_file
from apps.payments.formats.errors import MessageValidationError
from apps.payments.formats.iso20022 import (
    PARSED_VERSIONS,
    Camt029,
    Camt056,
    Pacs002,
    Pacs004,
    Pacs008,
    Pacs009,
    Pain001,
    Pain002,
    Pain008,
    build_pacs008,
    load_schema,
    parse,
    parse_camt029,
    parse_camt056,
    parse_pacs002,
    parse_pacs004,
    parse_pacs008,
    parse_pacs009,
    parse_pain001,
    parse_pain002,
    parse_pain008,
    validate_raw,
)
from apps.payments.formats.iso20022.schemas import XSD_DIR, namespace_for, xsd_path
from tests.payments.formats.make_version_samples import SOURCES

GOLDEN = Path(__file__).parent / "golden" / "iso20022"
VERSIONS_DIR = GOLDEN / "versions"
SPECS = Path(__file__).resolve().parents[4] / "shared" / "specs" / "iso20022"

FAMILY = {
    "pacs.008": (Pacs008, parse_pacs008),
    "pacs.009": (Pacs009, parse_pacs009),
    "pacs.002": (Pacs002, parse_pacs002),
    "pacs.004": (Pacs004, parse_pacs004),
    "pain.001": (Pain001, parse_pain001),
    "pain.002": (Pain002, parse_pain002),
    "pain.008": (Pain008, parse_pain008),
    "camt.056": (Camt056, parse_camt056),
    "camt.029": (Camt029, parse_camt029),
}
ALL_READ = sorted(v for family, versions in PARSED_VERSIONS.items() if family != "head.001" for v in versions)
#: model field -> the element it is read from; blanked in the expected object when the version lacks it
ELEMENT_OF_FIELD = {"uetr": "UETR", "original_uetr": "OrgnlUETR", "lei": "LEI"}


def _blank(value: Any, fields: set[str]) -> Any:
    """Return ``value`` with ``fields`` set to None in it and every dataclass nested in it."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            current = getattr(value, field.name)
            changes[field.name] = None if field.name in fields else _blank(current, fields)
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_blank(item, fields) for item in value)
    return value


def _expected(version: str) -> Any:
    """The golden file's domain object as ``version`` can carry it."""
    source = parse((GOLDEN / SOURCES[version]).read_bytes())
    xsd_text = xsd_path(version).read_text(encoding="utf-8")
    missing = {field for field, element in ELEMENT_OF_FIELD.items() if f'name="{element}"' not in xsd_text}
    if 'name="OrgnlIntrBkSttlmDt"' not in xsd_text:
        missing.add("original_settlement_date")
    expected = _blank(source, missing)
    if version.startswith("pacs.009") and int(version[13:15]) <= 7:  # TxId is mandatory there
        transactions = tuple(
            dataclasses.replace(tx, transaction_id=tx.transaction_id or f"TX-{tx.end_to_end_id}")
            for tx in expected.transactions
        )
        expected = dataclasses.replace(expected, transactions=transactions)
    return dataclasses.replace(expected, version=version)


def test_every_version_read_has_a_sample_and_every_sample_a_version() -> None:
    samples = {path.stem for path in VERSIONS_DIR.glob("*.xml")}
    built_goldens = {path.stem for path in GOLDEN.glob("*.xml")}
    assert set(ALL_READ) == samples | (built_goldens & set(ALL_READ))
    assert samples == set(SOURCES)


@pytest.mark.parametrize("version", sorted(SOURCES))
def test_sample_is_valid_against_its_own_official_xsd(version: str) -> None:
    schema = etree.XMLSchema(etree.parse(str(xsd_path(version))))
    tree = etree.parse(str(VERSIONS_DIR / f"{version}.xml"))
    assert etree.QName(tree.getroot()).namespace == namespace_for(version)
    assert schema.validate(tree), schema.error_log


@pytest.mark.parametrize("version", sorted(SOURCES))
def test_every_version_reads_onto_the_same_domain_object(version: str) -> None:
    raw = (VERSIONS_DIR / f"{version}.xml").read_bytes()
    model, family_parser = FAMILY[version[:8]]
    assert validate_raw(raw) == (version, [])
    parsed = parse(raw)
    assert isinstance(parsed, model)
    assert parsed.message_type == version
    assert parsed == _expected(version)
    assert family_parser(raw) == parsed
    report = validate_file(raw)
    assert (report.format_name, report.message_type, report.errors) == ("ISO 20022", version, [])


def test_2009_pacs008_reads_bic_charges_agent_and_no_uetr() -> None:
    message = parse_pacs008((VERSIONS_DIR / "pacs.008.001.02.xml").read_bytes())
    tx = message.transactions[0]
    assert message.instructing_agent.bic == "COBADEFFXXX"
    assert tx.charges[0].agent.bic == "COBADEFFXXX"  # ChrgsInf/Pty in 001.02
    assert tx.uetr is None
    assert tx.debtor_agent.bic == "COBADEFFXXX"


def test_pacs008_v13_reads_the_acceptance_time_from_its_new_place() -> None:
    source = (GOLDEN / "sepa-sct-inst.pacs.008.001.08.xml").read_bytes()
    assert b"AccptncDtTm" in source
    from tests.payments.formats.make_version_samples import rewrite

    raw = rewrite(source, "pacs.008.001.13")
    assert b"<AddtlDtTm>" in raw
    assert parse_pacs008(raw).transactions[0].acceptance_datetime == parse(source).transactions[0].acceptance_datetime


def test_pacs009_before_v04_has_its_own_message_root() -> None:
    raw = (VERSIONS_DIR / "pacs.009.001.03.xml").read_bytes()
    assert b"<FinInstnCdtTrf>" in raw
    message = parse_pacs009(raw)
    assert message.is_cover
    assert message.transactions[0].underlying.debtor.name


def test_pacs004_takes_the_original_message_from_the_group_level() -> None:
    raw = (VERSIONS_DIR / "pacs.004.001.02.xml").read_bytes()
    root = etree.fromstring(raw)
    ns = etree.QName(root).namespace
    message_root = root[0]
    tx = message_root.find(f"{{{ns}}}TxInf")
    group = tx.find(f"{{{ns}}}OrgnlGrpInf")
    tx.remove(group)
    message_root.insert(1, group)  # PmtRtr/OrgnlGrpInf, between GrpHdr and TxInf
    moved = etree.tostring(root)
    assert load_schema("pacs.004.001.02").validate(etree.ElementTree(etree.fromstring(moved)))
    expected = parse_pacs004(raw).transactions[0].original_message_id
    assert expected
    assert parse_pacs004(moved).transactions[0].original_message_id == expected


def test_pain001_plain_and_choice_execution_dates() -> None:
    plain = parse_pain001((VERSIONS_DIR / "pain.001.001.07.xml").read_bytes())
    choice = parse_pain001((VERSIONS_DIR / "pain.001.001.08.xml").read_bytes())
    assert b"<Dt>" not in (VERSIONS_DIR / "pain.001.001.07.xml").read_bytes().split(b"ReqdExctnDt")[1]
    assert plain.payment_infos[0].requested_execution_date is not None
    assert choice.payment_infos[0].requested_execution_date is not None


# --------------------------------------------------------------------------- bad input names the field
def test_a_2019_element_name_in_a_2009_message_is_an_xsd_error_naming_the_field() -> None:
    raw = (
        (VERSIONS_DIR / "pacs.008.001.02.xml")
        .read_bytes()
        .replace(b"<BIC>", b"<BICFI>")
        .replace(b"</BIC>", b"</BICFI>")
    )
    message_type, errors = validate_raw(raw)
    assert message_type == "pacs.008.001.02"
    assert errors and all(error.reason.startswith("XSD:") for error in errors)
    assert any(error.field.endswith("FinInstnId/BICFI") and error.line for error in errors)
    with pytest.raises(MessageValidationError) as caught:
        parse_pacs008(raw)
    assert caught.value.message_type == "pacs.008.001.02"


@pytest.mark.parametrize("version", ["pacs.008.001.02", "pacs.008.001.13", "pacs.009.001.03", "pain.001.001.12"])
def test_a_wrong_transaction_count_is_refused_naming_nboftxs(version: str) -> None:
    raw = (VERSIONS_DIR / f"{version}.xml").read_bytes()
    declared = re.search(rb"<NbOfTxs>(\d+)</NbOfTxs>", raw)
    wrong = str(int(declared.group(1)) + 5).encode()
    raw = raw[: declared.start(1)] + wrong + raw[declared.end(1) :]
    message_type, errors = validate_raw(raw)
    assert message_type == version
    assert [error.field for error in errors] == ["GrpHdr/NbOfTxs"]
    assert wrong.decode() in errors[0].reason
    assert errors[0].line == raw[: declared.start()].count(b"\n") + 1


def test_a_bad_iban_in_an_old_version_is_refused_naming_the_account() -> None:
    raw = (VERSIONS_DIR / "pain.008.001.03.xml").read_bytes()
    assert b"DE89370400440532013000" in raw
    raw = raw.replace(b"DE89370400440532013000", b"DE89370400440532013001")
    errors = validate_raw(raw)[1]
    assert errors and all("invalid IBAN" in error.reason for error in errors)
    assert all(error.field.endswith("Id/IBAN") for error in errors)


def test_a_version_not_read_is_refused_with_the_supported_ranges() -> None:
    raw = (VERSIONS_DIR / "pacs.008.001.13.xml").read_bytes().replace(b"pacs.008.001.13", b"pacs.008.001.14")
    message_type, errors = validate_raw(raw)
    assert message_type == "pacs.008.001.14"
    assert "unsupported message pacs.008.001.14" in errors[0].reason
    assert "pacs.008.001.02-13" in errors[0].reason
    assert "pacs.004.001.02-11/13" in errors[0].reason


def test_only_the_built_version_is_built() -> None:
    message = parse_pacs008((VERSIONS_DIR / "pacs.008.001.05.xml").read_bytes())
    with pytest.raises(MessageValidationError) as caught:
        build_pacs008(message)
    assert caught.value.errors[0].field == "version"
    assert build_pacs008(dataclasses.replace(message, version="pacs.008.001.08"))


# --------------------------------------------------------------------------- shipped XSDs are the official ones
@pytest.mark.parametrize(
    "version", [*ALL_READ, "head.001.001.01", "head.001.001.03", "head.001.001.04", "pain.001.001.09.ch.03"]
)
def test_shipped_xsd_is_byte_identical_to_the_project_specs_copy(version: str) -> None:
    shipped = xsd_path(version)
    digest = hashlib.sha256(shipped.read_bytes()).hexdigest()
    assert digest == READ_XSD_SHA256[version]
    if SPECS.is_dir():  # the project's specs folder, with the source of every file in its README
        assert hashlib.sha256((SPECS / shipped.relative_to(XSD_DIR)).read_bytes()).hexdigest() == digest


READ_XSD_SHA256 = {
    "camt.029.001.03": "1703eefe83ee964e99a2a95958cbfc497dd40d38d1e942da113f72c973ba664b",
    "camt.029.001.04": "5420bcb2945443c92b8bcc411ca4b2f1c425099cf61ad7aa7b217fa5b37da20d",
    "camt.029.001.05": "cbdd7fa5058a59db23238ded7b3920ee7115e51f58126e464d8d7dc08ca85836",
    "camt.029.001.06": "182c60f0790908b04bdb2d44b6705fa3640e8b5d4ebebe5ac4134b8ca856d3e8",
    "camt.029.001.07": "5f8cc45fcfa155cc64db558e7d24e3d7abc4c6fa62ecbb8b2949e14381e6874b",
    "camt.029.001.08": "e14b414f2b0749fbdc5f36a97c5019d85141535644cb6048b63297afbfe6be00",
    "camt.029.001.09": "8bb500a648f2e6e1c17fbe4b24620b37de35fc9ef20cbcbdce084bd4db276d57",
    "camt.029.001.10": "ec57d15948c60814d871cc568d706838271b4f3bcd8a726d1fe914ccc9c0b5d2",
    "camt.029.001.11": "55c181016f52e3fa89c4e2e2752f656052049ff94384242964bfe4876b69e96e",
    "camt.029.001.12": "b9c2ad2c00bd753976236acac6a52a6d9afb8887dce128d6dfe59555451d9d65",
    "camt.029.001.13": "1b599353ec5d9492e0983a9c028fd1f1175324f51dc0b87d0c8990bf270ac171",
    "camt.056.001.01": "18cfb4753040df8749efae48f7d29686f7915af5b997567a68a11769666562d4",
    "camt.056.001.02": "c1af3099198ace4f7cde9909e3c3dbc2834c817d2ee9eb242b2157decfbf2f5b",
    "camt.056.001.03": "78eaf82809932b7e123f10682eb6c0ba1441d87d36f1df29520278818e6bc5da",
    "camt.056.001.04": "49c620ec9633ee650f1188d8898571a9eaa5612750c7a59b0ce3d3b2d26d1cfd",
    "camt.056.001.05": "354b7514b34002cfc0ed186c95a6cfabca3d69e2689fd5837983dbc026d600d2",
    "camt.056.001.06": "72bd0a6af8b7077ab3856ffeae93652b8f4e394d4f7d0db6f11aa32b6d39ba27",
    "camt.056.001.07": "33cb33553612038a1fc401ada1397299d75a3be4fa592222ba9080691d70d726",
    "camt.056.001.08": "16691301a355a7b2429d3da1217f2ae646e4ed207618d00832d170b1e2b39e6d",
    "camt.056.001.09": "3e62d07f80bb7d3e20aa1e66a3b4a8d7b661d5089866a85ae4c7aa2034303ff9",
    "camt.056.001.10": "bd8255cbda16e148f850e2fed3f3dc84a29a159b9a7c31cf6578e34e579c31a3",
    "camt.056.001.11": "4bb0e2311902b4bddba8b2cf55d4a58407ae140a0eb3005cdea0cdc0ccd6cadd",
    "pain.001.001.03.ch.02": "21bb38308e7f1fdd2932d4139fb1060b8cbb53789348f383b0a5f5ce9b587c15",
    "pain.001.001.09.ch.03": "8daf0973bc1d8eaec5b494214d843d1dd4ccfe10b2bf61739004fa0c9f30d675",
    "head.001.001.01": "1102407f4a27939eeefc95048e97ba8f9aad44ccf7e8e4abae794208436c7bbb",
    "head.001.001.03": "c5a71062ad04a7af4cc178e9946d8c83fe99172fa0f491e0555c7f8903676e62",
    "head.001.001.04": "73d68e98ec079806a23f37494ed47662a74cebfae91807bfbaacda3728d65796",
    "pacs.002.001.03": "b24f515eeb2f75d722c96c809d92317364c92dc23826add89295edc439fb0340",
    "pacs.002.001.04": "f86238e45e3eb73d35988a5f97046c9e02f9155de6eeac2f8622482892e499e8",
    "pacs.002.001.05": "41e38c13e737db71a1e018b438064c66d3c4c0dd0183508b7bfe879b5cffe6fc",
    "pacs.002.001.06": "5239c8d2dd0580250ebd5a19f38f91c5a0ccd5a09870bbe7ce11e072ddc98886",
    "pacs.002.001.07": "26fc37468f864f30a96f72fe5e39cdc6b443300cfe92ac8e353834f4b4fd4425",
    "pacs.002.001.08": "1c3715e355e1037f60533c52f60056f22e1b17f16f1a2319ca3f7eea92ce7f24",
    "pacs.002.001.09": "75e92af6a3c4c283c35cc9d42f1adaf1dedffffcef03a78165a65594f75e8f2e",
    "pacs.002.001.10": "2016d5989e93376a85e515ef4874eceea46fc95d35c62292cf1577be31382404",
    "pacs.002.001.11": "38232d502b0cc60fcadc0a0c83c6a200d4030ae21d35b07e9ec0a9bd8d75803e",
    "pacs.002.001.12": "c6ec04854583d87506ca9baa02c27a50001c3518ad46ca6892da1d515e074a0a",
    "pacs.002.001.13": "067e0c932e3d72b2a7d0842315a1ff5fdbc53e24532980b34c69a829965aced6",
    "pacs.002.001.14": "a61df5195e5de570f8215b6c8ee2d9565b24237a8711ecf6b9db81b101ff7019",
    "pacs.004.001.02": "f3066e88196f5eb961f5dfa3012d1aa9a4ed1087618ebb25050f8067fe77d6dc",
    "pacs.004.001.03": "f625b776b629f6e1dea5b6138b99ae1f284f645d55574f081d85f9f45681a998",
    "pacs.004.001.04": "bf1e9854063644d7737044493193f5351d5e5c4a84eadb7a6e3050b3e318f418",
    "pacs.004.001.05": "237893c2e18b489c5f4a8baf1b924480a779c87ac381ce8f24079245cdafe834",
    "pacs.004.001.06": "cd4ec1007ecfa0b047ddc61f67521ae041f2d611e35e5458aa479e265d348218",
    "pacs.004.001.07": "28dbd9baf41bec4ba68a6f6e95d6d8f54ce75dcbe5a9e116f5a32518334102f4",
    "pacs.004.001.08": "58318a0aef03d15ae1a9f44e1fd7f74593d031f0b62980fb590a7b8d17bd76c1",
    "pacs.004.001.09": "2491776eeee135de20edf14aa038d036dddd25fae21c7afdc8d1150e5b16f0a6",
    "pacs.004.001.10": "69c4870348b66605b40a66e9fb50788162e7319f571dd1442eb684d900beb6d9",
    "pacs.004.001.11": "f418813c453d90b3abe9cb0fa648939038abf993c5917610ed4e9c8cc4df830d",
    "pacs.004.001.13": "847fb3693c680db22fa0a494e4a3e8dc50bd222933f8803489589862ca30efc8",
    "pacs.008.001.02": "61d719e88ae77f4eb821eda0ac6f6c6e0d260f235040bc26d2db706aec87556c",
    "pacs.008.001.03": "32b01f4b70841f766a96ced582e47ae2d442c027512daf7fcc4e03af2bcc23b5",
    "pacs.008.001.04": "aea83b6e91371a0e2e08a9cf1f034d5c31d33a5018252d8ab294da38e676ad1a",
    "pacs.008.001.05": "ed200c28dd4d0029184122a4b4de383f93f4f31bd7633ed14bc651911d95dad5",
    "pacs.008.001.06": "78f7e191ca62e97061870ae4aa3a4751fa6a086fa3294a0af1d707ca25f34509",
    "pacs.008.001.07": "599aaf17698870b334e89447f221f28e2bb6c10690459ad0b9fdebfc1de4e9bd",
    "pacs.008.001.08": "9bb360555d1981be8635aa3ed295abfe8b2d221d316193434114ad722107dcde",
    "pacs.008.001.09": "45264d5e53a29146786a5f3f56685613a2b7c6b9561e2cea3e507230f370b5a6",
    "pacs.008.001.10": "0bc81b71b757ec94557bca7ff6c1a89394a03ad50c297046cdda6bdd6457c7dd",
    "pacs.008.001.11": "30991d461fe5c21383b8fa142e972b726e8c9061f13c6665712f9ba72817b603",
    "pacs.008.001.12": "25359d51bbe41028c25c38d9216f85e0f0086eacd71dfbbccf397d9438fd947f",
    "pacs.008.001.13": "118183330dbdded59219efac775149660d7d32527cadc218ca5d97df07f2f481",
    "pacs.009.001.02": "6f20f99a0b18be7eb35fa91b230822e6b7537490d1904a551ee40f6a3939c4a6",
    "pacs.009.001.03": "cd11d788a915ee88d01a503577dae1bb7cdaa4346eed992354ce7f88d63e0d35",
    "pacs.009.001.04": "0b09f71637c803c3b894e61d7d1cd8fae3d89e3f7478e06bda6eb5beb37488ee",
    "pacs.009.001.05": "0ea573ee90abc3179ed3510f51686693e1b7f9dbf7f0bfc397c4a032fd7334c3",
    "pacs.009.001.06": "5597fd6f9a205ccf87685ed0c9f1cbb25fad0d38fe9847eb39e94bc89c8c4308",
    "pacs.009.001.07": "4bdf1d6d6bd91015dead0d7a21c9b880852a4bf3bcc751a6ab77effe6cb97427",
    "pacs.009.001.08": "b4b01e4af3f47152c84edb04a7e61d33c6929d82ef9ed05e9525177ae74dcb52",
    "pacs.009.001.09": "d05a68c31613a856d6cbeef196339c7e37e0ced85ba21ae6cdab105a4e78f703",
    "pacs.009.001.10": "2de38881e9261732a1b66bc82b3e6a9097123b11b6e750359bb9a0c18823b1f1",
    "pacs.009.001.11": "38fb99b9d103ed60cd1cd9986d2eb7561ccca88e6babfab645679e80d9fb0f15",
    "pain.001.001.03": "ae2bbba02a6be0119a26f4afcb65ced067453cb1b81d38b26bcc569f19eca93e",
    "pain.001.001.04": "df6055446447f1876b41facddb4b760cbf94185cb8cc2c3909809ca5d940b1f3",
    "pain.001.001.05": "99c9623fe47348a16be6875de29af6207361d334e5bc0654392aba2556ba49f2",
    "pain.001.001.06": "4abdcf2e0a1404b00ec6e33a45b19665019cf72f9fc955ac21aec07aebdba099",
    "pain.001.001.07": "828fa486b414938c019f0c042889b28a4548a5757e58ce776ec1bfa595385299",
    "pain.001.001.08": "f7610785ffe7f95df865b16167f73d4f069ef90fb2172bea8e11bf0352c5d13a",
    "pain.001.001.09": "05440a7e84f695e7dbc6677082f43623cd7393881b76a5e8d648ae21d7d728e3",
    "pain.001.001.10": "9708eb01ee68bbded0483a5882b0ca9b1a7654bec41d769ece76169a78db768a",
    "pain.001.001.11": "568345c4e2aea91293ecdc3b72fc5141feb321c4c5b98aab6ae9737eaff88d13",
    "pain.001.001.12": "9ac29c72844923bccacd079cc9a03ba4364a6c670d09579149fafae55aedf7d2",
    "pain.002.001.03": "c0c2b98f51638147598678bbec3d5aedfa270a819c2fda8014ba3c34a5972195",
    "pain.002.001.04": "4dc50c332d928847ee5852fa86416dbef603f7cff26ccc59a356f03581920748",
    "pain.002.001.05": "efe7d62a86019d329b28082f9900bdc76f5ebe3ecd16e8aa3a502da79b385f25",
    "pain.002.001.06": "5441a227e1875bd239ffbed9923ff6194e960e263ed40de1d4e0ae16c21cbec5",
    "pain.002.001.07": "b4afd4cd06019e8da7eef41ac4753fc2ce74266b5c03dfb16aa0bf84d11a9aa5",
    "pain.002.001.08": "424cc5e49ff18b9633f00afefdb2a2b8aefb0861b0e3b89c42d8a5d181fdc727",
    "pain.002.001.09": "d7e06bf1d97cfa6cf92d38ffaeffa54ecd24d2ef3779ab60dc46a24d3b91b94b",
    "pain.002.001.10": "22a9dda9d006c21fd368f44e9fae812e7b5cde95b6774f31289c372242aac906",
    "pain.002.001.11": "b99ab218017eb761b304b17240c877e399614b1176c25f4e1b62212f7b2f754f",
    "pain.002.001.12": "ce80fa303bde9929208e99edfc97603456a673542b1e2db7c1414b6643e416ea",
    "pain.002.001.13": "1f187a6708d920561a4f4cd5e66ee2e476f8089bacf1ab454ef5aff8ecf0c720",
    "pain.002.001.14": "1601339d4837a53d3be2166c3f9b5481e5adb4900d30a1e96bba81df6ed3094f",
    "pain.008.001.02": "09b13e91fcde87f3153a4a417c866008fbc3d8a91706c0b24ff2bf4a18b56429",
    "pain.008.001.03": "a74f07699509355e9b1a1d5c1d1bef11279ceb1dbf37f795af3fd8a3b4821134",
    "pain.008.001.04": "bc1b2bc8342bb1add6afb1628a25e7370838c0fec7bfd22fc5c563f36c3df2b5",
    "pain.008.001.05": "fb1bc4d2959e6defa25ca83c6745681569516dc61322f9c439309dd89e6b0e3f",
    "pain.008.001.06": "bdcc57887869c95fa3adb853ac1df9135ec901e948f3abe48c67e1070b29c79f",
    "pain.008.001.07": "45f32c28ba839edbfe845d123297c918310c7690cda8efc6eba3504d60927f14",
    "pain.008.001.08": "3b2efe2239fceea22b17eb980df58c8b80db7322cf7781f8fd64ee8d17696210",
    "pain.008.001.09": "7656760a6059a758de1826243e6a8133291b28bd33eae12b9197e601e0f57447",
    "pain.008.001.10": "0b4e46c5ddb439ff81e57058dcb8857a8cdf102350a6753b3d7e83ab69b6a421",
    "pain.008.001.11": "680a926b447d31a99cba20b341877768e28a059ef252b3821b66ed2e44406096",
}


# --------------------------------------------------------------------------- Swiss Payment Standards (SIX)
def test_swiss_pain001_in_six_namespace_reads_onto_pain001() -> None:
    raw = (VERSIONS_DIR / "pain.001.001.03.ch.02.xml").read_bytes()
    assert b"six-interbank-clearing.com" in raw
    report = validate_file(raw)
    assert (report.format_name, report.message_type, report.errors) == ("ISO 20022", "pain.001.001.03.ch.02", [])
    message = parse_pain001(raw)
    assert message.version == "pain.001.001.03.ch.02"
    iso = parse((GOLDEN / "pain.001.001.03.xml").read_bytes())
    assert dataclasses.replace(message, version=iso.version) == iso


def test_swiss_restrictions_apply_when_the_document_names_the_six_schema() -> None:
    raw = (GOLDEN / "pain.001.001.09.xml").read_bytes()
    opening = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">'
    assert opening in raw
    swiss = raw.replace(
        opening,
        opening[:-1] + b' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        b' xsi:schemaLocation="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09 pain.001.001.09.ch.03.xsd">',
    )
    assert validate_raw(swiss) == ("pain.001.001.09", [])
    # "#" is ISO Max35Text but outside the Swiss character set: a SIX warning only where SIX is named
    plain_errors = validate_raw(raw.replace(b"<MsgId>QNX", b"<MsgId>QN#X", 1))[1]
    swiss_errors = validate_raw(swiss.replace(b"<MsgId>QNX", b"<MsgId>QN#X", 1))[1]
    six = [e for e in swiss_errors if e.reason.startswith("SIX pain.001.001.09.ch.03:")]
    assert not [e for e in plain_errors if e.reason.startswith("SIX")]
    assert [(e.field, e.severity) for e in six] == [("GrpHdr/MsgId", "warning")]


# --------------------------------------------------------------------------- the rest of QENEX does not care
def test_inbound_reads_an_old_pacs008_like_the_current_one() -> None:
    from apps.inbound.messages import read_message

    old = read_message((VERSIONS_DIR / "pacs.008.001.02.xml").read_bytes(), rail="swift")
    current = read_message((GOLDEN / "pacs.008.001.08.xml").read_bytes(), rail="swift")
    assert old.message_type == "pacs.008.001.02"
    (old_item,), (current_item,) = old.items, current.items
    assert old_item.original["message_name_id"] == "pacs.008.001.02"
    assert old_item.uetr == "" and old_item.network_id == f"{old_item.message_id}/{old_item.end_to_end_id}"
    same = ("amount_minor", "currency", "creditor_account", "creditor_name", "debtor_account", "end_to_end_id")
    assert {name: getattr(old_item, name) for name in same} == {name: getattr(current_item, name) for name in same}

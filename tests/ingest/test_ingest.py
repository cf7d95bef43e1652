"""analytics.ingest: formats, encodings, header matching, values, reasons, atomicity, CLI.

Every expected number and reason below was worked out by hand from the input written in
the test (or, for the Maven sample, counted with Python's csv module), never read back
from the importer.
"""

from __future__ import annotations

import ast
import codecs
import csv
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.ingest import (
    TABLE_COLUMNS,
    ImportFailed,
    ImportResult,
    import_files,
    import_folder,
    read_mapping,
)
from analytics.ingest.rules import match_header
from analytics.store import DATA_TABLES, Store
from tests.conftest import ROOT

MAVEN = ROOT.parent / "shared" / "samples" / "maven_crm"
MAPPINGS = ROOT / "data" / "mappings" / "maven_crm"

LEADS_HEADER = "lead_id,created_at,source,region_id,segment,rep_id,status"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store with two regions, one team and two reps to reference."""
    s = Store(tmp_path / "t.duckdb")
    for region_id, name in [("R1", "East"), ("R2", "West")]:
        s.execute("INSERT INTO regions VALUES (?, ?)", [region_id, name])
    s.execute("INSERT INTO teams VALUES (?, ?, ?, ?, ?, ?)", ["T1", "Alpha", "R1", "field", False, None])
    for rep_id, name in [("S1", "Ann"), ("S2", "Bo")]:
        s.execute(
            "INSERT INTO reps VALUES (?, ?, ?, ?, ?, ?, ?)", [rep_id, name, "T1", "field", "2024-01-01", 9000, None]
        )
    yield s
    s.close()


def write(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write ``text`` (lines separated by \\n) with the given encoding and line ending."""
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def rows(store: Store, sql: str) -> list[tuple]:
    cur = store.cursor()
    try:
        return cur.execute(sql).fetchall()
    finally:
        cur.close()


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every data table's rows (sorted) plus the import log: the whole observable store."""
    out = {t: sorted(rows(store, f"SELECT * FROM {t}"), key=repr) for t in DATA_TABLES}
    out["import_log"] = sorted(rows(store, "SELECT * FROM import_log"), key=repr)
    return out


def reasons(result: ImportResult) -> list[tuple[int, str]]:
    return [(r.line, r.reason) for r in result.rejections]


# -- header matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "header", "canonical"),
    [
        ("leads", "线索编号", "lead_id"),
        ("leads", "線索編號", "lead_id"),
        ("leads", "来源", "source"),
        ("leads", "來源", "source"),
        ("leads", "区域", "region_id"),
        ("leads", "區域", "region_id"),
        ("deals", "金额", "amount"),
        ("deals", "金額", "amount"),
        ("deals", "签约日期", "signed_at"),
        ("deals", "簽約日期", "signed_at"),
        ("leads", "销售", "rep_id"),
        ("leads", "業務員", "rep_id"),
        ("deals", "销售代表", "rep_id"),
        ("leads", "创建日期", "created_at"),
        ("leads", "状态", "status"),
        ("leads", "狀態", "status"),
        ("leads", "客户编号", "account_id"),
        ("leads", "成交日期", "closed_at"),
        ("leads", "关闭日期", "closed_at"),
        ("leads", "客户细分", "segment"),
        ("leads", "行业", "segment"),
        ("deals", "毛利", "gross_profit"),
        ("targets", "目标", "target_amount"),
        ("targets", "目標金额", "target_amount"),
        ("targets", "季度", "quarter"),
        ("nps", "评分", "score"),
        ("calls", "通话时长(秒)", "duration_s"),
        ("calls", "通話時長（秒）", "duration_s"),
        ("calls", "话术标签", "talk_tracks"),
        ("calls", "話術標籤", "talk_tracks"),
        ("leads", " Lead-ID ", "lead_id"),
        ("leads", "\ufeffLEAD ID", "lead_id"),
        ("leads", "leadId", "lead_id"),
        ("deals", "Amount (CNY)", "amount"),
        ("reps", "Name", "rep_name"),
        ("leads", "product", None),
        ("touchpoints", "渠道", "channel"),
        ("leads", "渠道", "source"),
    ],
)
def test_header_synonyms_match_the_canonical_column(table: str, header: str, canonical: str | None) -> None:
    assert match_header(table, header) == canonical


def test_table_columns_mark_required_columns() -> None:
    assert TABLE_COLUMNS["deals"] == [
        ("deal_id", True),
        ("lead_id", False),
        ("account_id", False),
        ("rep_id", True),
        ("signed_at", True),
        ("amount", True),
        ("gross_profit", False),
        ("deal_type", True),
        ("approval_errors", False),
    ]
    assert set(TABLE_COLUMNS) == set(DATA_TABLES)


# -- encodings, formats, line endings -------------------------------------------------------------

CHINESE_LEADS = (
    "线索编号,创建日期,来源,区域,客户细分,销售,状态\n"
    "L1,2025-03-01,官网,R1,小微企业,S1,赢单\n"
    "L2,2025-03-02,展会,R2,大型企业𠮷,S2,跟进中\n"
    "L3,2025-02-30,官网,R1,小微企业,S1,输单\n"
)


def _utf16_with_bom(bom: bytes, codec: str) -> Callable[[str], bytes]:
    return lambda text: bom + text.encode(codec)


ENCODERS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.encode("utf-8"),
    "utf-8-sig": lambda t: t.encode("utf-8-sig"),
    "gbk": lambda t: t.replace("𠮷", "").encode("gbk"),  # GBK has no U+20BB7
    "gb18030": lambda t: t.encode("gb18030"),
    "utf-16": lambda t: t.encode("utf-16"),
    "utf-16-le-bom": _utf16_with_bom(codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16-be-bom": _utf16_with_bom(codecs.BOM_UTF16_BE, "utf-16-be"),
    "utf-16-le-no-bom": lambda t: t.encode("utf-16-le"),
}


@pytest.mark.parametrize("encoding", list(ENCODERS))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_encoding_and_line_ending_is_read(store: Store, tmp_path: Path, encoding: str, newline: str) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(ENCODERS[encoding](CHINESE_LEADS.replace("\n", newline)))
    result = import_files(store, "leads", [path])
    assert (result.read, result.stored, result.rejected) == (3, 2, 1)
    assert reasons(result) == [(4, "created_at (column '创建日期') '2025-02-30' is not a date (use YYYY-MM-DD)")]
    segment = "大型企业" if encoding == "gbk" else "大型企业𠮷"
    assert rows(
        store, "SELECT lead_id, created_at, source, region_id, segment, rep_id, status FROM leads ORDER BY 1"
    ) == [
        ("L1", dt.date(2025, 3, 1), "官网", "R1", "小微企业", "S1", "won"),
        ("L2", dt.date(2025, 3, 2), "展会", "R2", segment, "S2", "open"),
    ]


def test_traditional_chinese_headers_and_values(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "leads.csv",
        "線索編號,創建日期,來源,區域,客戶細分,業務員,狀態\nL1,2025/3/1,官網,R2,中型企業,S2,贏單\n",
        "utf-8-sig",
    )
    result = import_files(store, "leads", [path])
    assert (result.read, result.stored, result.rejected) == (1, 1, 0)
    assert rows(store, "SELECT lead_id, created_at, source, region_id, segment, rep_id, status FROM leads") == [
        ("L1", dt.date(2025, 3, 1), "官網", "R2", "中型企業", "S2", "won"),
    ]


def test_tsv_file(store: Store, tmp_path: Path) -> None:
    text = LEADS_HEADER.replace(",", "\t") + "\nL1\t2025-03-01\tweb, site\tR1\tsmb\tS1\topen\n"
    result = import_files(store, "leads", [write(tmp_path / "leads.tsv", text)])
    assert (result.read, result.stored) == (1, 1)
    assert rows(store, "SELECT source FROM leads") == [("web, site",)]


def test_semicolon_delimited_csv_is_sniffed(store: Store, tmp_path: Path) -> None:
    text = LEADS_HEADER.replace(",", ";") + "\nL1;2025-03-01;web;R1;smb;S1;open\n"
    assert import_files(store, "leads", [write(tmp_path / "leads.csv", text)]).stored == 1


def test_xlsx_reports_sheet_rows(store: Store, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([])  # row 1 empty, row 2 a title-less gap
    ws.append([])
    ws.append(["签约日期", "合同编号", "销售", "金额", "类型"])  # header on row 3
    ws.append([dt.datetime(2025, 3, 1), "D1", "S1", 1234.5, "新签"])  # row 4
    ws.append(["2025/3/2", "D2", "S2", "12.5万", "续约"])  # row 5
    ws.append([None, None, None, None, None])  # row 6 blank: not a row
    ws.append([dt.date(2025, 3, 3), "D3", "S1", "abc", "new"])  # row 7 bad amount
    ws.append([dt.date(2025, 3, 4), 1001, "S1", 10, "upsell"])  # row 8: numeric id
    path = tmp_path / "deals.xlsx"
    book.save(path)
    result = import_files(store, "deals", [path])
    assert (result.read, result.stored, result.rejected) == (4, 3, 1)
    assert reasons(result) == [(7, "amount (column '金额') 'abc' is not an amount (use digits like 1234.50)")]
    assert rows(store, "SELECT deal_id, signed_at, amount, deal_type FROM deals ORDER BY 1") == [
        ("1001", dt.date(2025, 3, 4), Decimal("10.00"), "upsell"),
        ("D1", dt.date(2025, 3, 1), Decimal("1234.50"), "new"),
        ("D2", dt.date(2025, 3, 2), Decimal("125000.00"), "renewal"),
    ]


def test_parquet_with_typed_columns(store: Store, tmp_path: Path) -> None:
    rows(store, "SELECT 1")  # the store is ready
    store.execute("INSERT INTO leads VALUES ('L1', '2025-01-01', 'web', 'R1', 'smb', 'S1', 'open', NULL, NULL, NULL)")
    table = pa.table(
        {
            "call_id": ["C1", "C2", "C3"],
            "lead_id": ["L1", "L1", "L404"],
            "rep_id": ["S1", "S2", "S1"],
            "called_at": pa.array(
                [dt.datetime(2025, 3, 1, 14, 5), dt.datetime(2025, 3, 2, 9, 0), dt.datetime(2025, 3, 3)],
                pa.timestamp("s"),
            ),
            "duration_s": pa.array([125, 60, 30], pa.int64()),
            "talk_tracks": [["price_anchor", "case_study"], [], ["roi_calculator"]],
        }
    )
    pq.write_table(table, tmp_path / "calls.parquet")
    result = import_files(store, "calls", [tmp_path / "calls.parquet"])
    assert (result.read, result.stored, result.rejected) == (3, 2, 1)
    assert reasons(result) == [(3, "lead_id 'L404' is not in the leads table; import leads first or fix the id")]
    assert rows(store, "SELECT call_id, called_at, duration_s, talk_tracks FROM calls ORDER BY 1") == [
        ("C1", dt.datetime(2025, 3, 1, 14, 5), 125, ["price_anchor", "case_study"]),
        ("C2", dt.datetime(2025, 3, 2, 9, 0), 60, []),
    ]


def test_big5_needs_the_encoding_named_in_the_mapping(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "regions.csv"
    path.write_bytes("區域編號,區域名稱\nR9,臺北\n".encode("big5"))
    result = import_files(store, "regions", [path], mapping={"encoding": "big5"})
    assert (result.read, result.stored) == (1, 1)
    assert rows(store, "SELECT region_name FROM regions WHERE region_id = 'R9'") == [("臺北",)]


def test_file_names_replace_temp_names_in_messages_and_log(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "upload-1234.tmp", f"{LEADS_HEADER}\nL1,someday,web,R1,smb,S1,open\n")
    result = import_files(store, "leads", [path], file_names=["我的线索.csv"])
    assert [str(r) for r in result.rejections] == [
        "我的线索.csv line 2: created_at 'someday' is not a date (use YYYY-MM-DD)"
    ]
    assert rows(store, "SELECT file_name, rows_read, rows_stored, rows_rejected FROM import_log") == [
        ("我的线索.csv", 1, 0, 1)
    ]


def test_unclosed_quote_is_a_rejected_record(store: Store, tmp_path: Path) -> None:
    text = f'{LEADS_HEADER}\nL1,2025-03-01,web,R1,smb,S1,open\nL2,2025-03-01,"web,R1,smb,S1,open\nL3,2025-03-01,web,R1,smb,S1,open\n'
    result = import_files(store, "leads", [write(tmp_path / "leads.csv", text)])
    # the open quote swallows the rest of the file into one record starting on line 3
    assert (result.read, result.stored, result.rejected) == (2, 1, 1)
    assert reasons(result)[0][0] == 3


def test_xlsx_named_file_that_is_text_fails_clearly(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "leads.xlsx", f"{LEADS_HEADER}\n")
    with pytest.raises(ImportFailed, match=r"leads\.xlsx is named like a \.xlsx file but its content is not"):
        import_files(store, "leads", [path])


def test_unreadable_bytes_fail_with_the_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(LEADS_HEADER.encode() + b"\nL1,2025-03-01,web,R1,smb,S1,open\nL2,\x81\xff\xfe,web\n")
    with pytest.raises(
        ImportFailed,
        match=r"leads.csv could not be read as UTF-8 or GBK/GB18030 text "
        r"\(first bad byte on line 3\)",
    ):
        import_files(store, "leads", [path])


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01",
        "2025/3/1",
        "2025/03/01",
        "2025年3月1日",
        "2025.3.1",
        "20250301",
        "2025-03-01 14:05:00",
        "2025-3-1",
        " 2025-03-01 ",
        "2025-03-01T14:05:00",
    ],
)
def test_date_formats(store: Store, tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "leads.csv", f"{LEADS_HEADER}\nL1,{text},web,R1,smb,S1,open\n")
    assert import_files(store, "leads", [path]).stored == 1
    assert rows(store, "SELECT created_at FROM leads") == [(dt.date(2025, 3, 1),)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-01 14:05:00", dt.datetime(2025, 3, 1, 14, 5)),
        ("2025/3/1 14:05", dt.datetime(2025, 3, 1, 14, 5)),
        ("2025-03-01", dt.datetime(2025, 3, 1)),
        ("20250301 14:05:30", dt.datetime(2025, 3, 1, 14, 5, 30)),
        ("2025年3月1日 8:00", dt.datetime(2025, 3, 1, 8, 0)),
    ],
)
def test_timestamp_formats(store: Store, tmp_path: Path, text: str, expected: dt.datetime) -> None:
    store.execute("INSERT INTO leads VALUES ('L1', '2025-01-01', 'web', 'R1', 'smb', 'S1', 'open', NULL, NULL, NULL)")
    path = write(tmp_path / "tp.csv", f"lead_id,touched_at,channel\nL1,{text},email\n")
    assert import_files(store, "touchpoints", [path]).stored == 1
    assert rows(store, "SELECT touched_at FROM touchpoints") == [(expected,)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", "1234.50"),
        ('"¥1,234.50"', "1234.50"),
        ('"￥1,234.50"', "1234.50"),
        ('"1,234.50元"', "1234.50"),
        ("CNY 1234.5", "1234.50"),
        ("RMB 88", "88.00"),
        ("12.5万", "125000.00"),
        ("0.5万元", "5000.00"),
        ("1.2亿", "120000000.00"),
    ],
)
def test_amount_formats(store: Store, tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "deals.csv", f"deal_id,rep_id,signed_at,amount,deal_type\nD1,S1,2025-03-01,{text},new\n")
    assert import_files(store, "deals", [path]).stored == 1
    assert rows(store, "SELECT amount FROM deals") == [(Decimal(expected),)]


def test_booleans_and_quarters(store: Store, tmp_path: Path) -> None:
    text = (
        "team_id,team_name,region_id,team_type,is_pilot,pilot_start_quarter\n"
        "A,a,R1,电销,是,2025Q2\nB,b,R1,Key Account,no,\nC,c,R2,field,1,2025年第3季度\nD,d,R2,channel,FALSE,Q4 2025\n"
        "E,e,R2,渠道,,2025-q1\nF,f,R2,field,maybe,2025Q5\nG,g,R1,地推,否,2025年第三季度\n"
    )
    result = import_files(store, "teams", [write(tmp_path / "teams.csv", text)])
    assert reasons(result) == [
        (
            7,
            "is_pilot 'maybe' is not yes/no (use true or false); "
            "pilot_start_quarter '2025Q5' is not a quarter (use 2025Q3)",
        )
    ]
    assert rows(
        store, "SELECT team_id, team_type, is_pilot, pilot_start_quarter FROM teams WHERE team_id <> 'T1' ORDER BY 1"
    ) == [
        ("A", "telesales", True, "2025Q2"),
        ("B", "key_account", False, None),
        ("C", "field", True, "2025Q3"),
        ("D", "channel", False, "2025Q4"),
        ("E", "channel", False, "2025Q1"),
        ("G", "field", False, "2025Q3"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("won", "won"),
        ("Won", "won"),
        ("赢单", "won"),
        ("成交", "won"),
        ("贏單", "won"),
        ("Closed Won", "won"),
        ("lost", "lost"),
        ("输单", "lost"),
        ("丟單", "lost"),
        ("open", "open"),
        ("跟进中", "open"),
        ("In progress", "open"),
    ],
)
def test_status_words(store: Store, tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "leads.csv", f"{LEADS_HEADER}\nL1,2025-03-01,web,R1,smb,S1,{text}\n")
    assert import_files(store, "leads", [path]).stored == 1
    assert rows(store, "SELECT status FROM leads") == [(expected,)]


def test_talk_tracks_are_split(store: Store, tmp_path: Path) -> None:
    store.execute("INSERT INTO leads VALUES ('L1', '2025-01-01', 'web', 'R1', 'smb', 'S1', 'open', NULL, NULL, NULL)")
    text = (
        "通话编号,线索编号,销售,通话时间,通话时长(秒),话术标签\n"
        "C1,L1,S1,2025-03-01 10:00:00,60,price_anchor;case_study\n"
        'C2,L1,S1,2025-03-01 11:00:00,"1,200",产品使用场景；价格锚定\n'
        "C3,L1,S1,2025-03-01 12:00:00,30.0,a | b |\n"
        "C4,L1,S1,2025-03-01 13:00:00,45,\n"
        "C5,L1,S1,2025-03-01 14:00:00,12.5,a\n"
    )
    result = import_files(store, "calls", [write(tmp_path / "calls.csv", text)])
    assert reasons(result) == [(6, "duration_s (column '通话时长(秒)') '12.5' is not a whole number")]
    assert rows(store, "SELECT call_id, duration_s, talk_tracks FROM calls ORDER BY 1") == [
        ("C1", 60, ["price_anchor", "case_study"]),
        ("C2", 1200, ["产品使用场景", "价格锚定"]),
        ("C3", 30, ["a", "b"]),
        ("C4", 45, []),
    ]


# -- reasons and line numbers ---------------------------------------------------------------------

BAD_DEALS = """deal_id,rep_id,signed_at,amount,deal_type
D1,S1,2025-03-01,100,new
D2,S1,2025-13-40,100,new
D3,S1,2025-03-01,,new
D4,S1,2025-03-01,abc,new
D5,S1,2025-03-01,-5,new
D6,S1,2025-03-01,100,gift
D7,S9999,2025-03-01,100,new
D1,S2,2025-03-02,200,renewal
,S1,2025-03-01,100,new
D8,S2,1899-12-31,100,upsell
D9,S2,2025-03-01,100,upsell
"""


def test_bad_values_give_line_and_reason(store: Store, tmp_path: Path) -> None:
    result = import_files(store, "deals", [write(tmp_path / "deals.csv", BAD_DEALS)])
    assert reasons(result) == [
        (3, "signed_at '2025-13-40' is not a date (use YYYY-MM-DD)"),
        (4, "amount is required"),
        (5, "amount 'abc' is not an amount (use digits like 1234.50)"),
        (6, "amount '-5' must not be negative"),
        (7, "deal_type 'gift' is not one of new, renewal, upsell"),
        (8, "rep_id 'S9999' is not in the reps table; import reps first or fix the id"),
        (9, "duplicate deal_id 'D1' (first seen on line 2)"),
        (10, "deal_id is required"),
        (11, "signed_at '1899-12-31' is not between 1900 and 2100"),
    ]
    assert (result.read, result.stored, result.rejected) == (11, 2, 9)
    assert result.read == result.stored + result.rejected
    assert rows(store, "SELECT deal_id, rep_id, amount FROM deals ORDER BY 1") == [
        ("D1", "S1", Decimal("100.00")),
        ("D9", "S2", Decimal("100.00")),
    ]
    assert all(r.file == "deals.csv" for r in result.rejections)


def test_rejects_frame_has_reason_and_raw_cells(store: Store, tmp_path: Path) -> None:
    result = import_files(store, "deals", [write(tmp_path / "deals.csv", BAD_DEALS)])
    frame = result.rejects_frame()
    assert list(frame.columns) == ["file", "line", "reason", "deal_id", "rep_id", "signed_at", "amount", "deal_type"]
    first = frame.iloc[0].to_dict()
    assert first == {
        "file": "deals.csv",
        "line": 3,
        "reason": "signed_at '2025-13-40' is not a date (use YYYY-MM-DD)",
        "deal_id": "D2",
        "rep_id": "S1",
        "signed_at": "2025-13-40",
        "amount": "100",
        "deal_type": "new",
    }


def test_score_and_range_checks(store: Store, tmp_path: Path) -> None:
    text = "account_id,responded_at,score\nA1,2025-03-01,10\nA1,2025-03-02,11\nA1,2025-03-03,-1\nA1,2025-03-04,7.0\n"
    result = import_files(store, "nps", [write(tmp_path / "nps.csv", text)])
    assert reasons(result) == [(3, "score '11' is not between 0 and 10"), (4, "score '-1' is not between 0 and 10")]
    assert rows(store, "SELECT responded_at, score FROM nps ORDER BY 1") == [
        (dt.date(2025, 3, 1), 10),
        (dt.date(2025, 3, 4), 7),
    ]
    assert result.warnings == [
        "2 rows were stored with account_id values that are not in the accounts table; they link up once those are "
        "imported."
    ]


def test_quoted_multiline_fields_keep_physical_line_numbers(store: Store, tmp_path: Path) -> None:
    text = (
        "account_id,account_name,segment,region_id\n"  # line 1
        'A1,"Acme\nHolding\nGroup",smb,R1\n'  # lines 2-4
        "\n"  # line 5: blank, not a row
        "A2,Beta,smb,R9\n"  # line 6: unknown region (loose: stored, warned)
        "A3,Gamma,smb\n"  # line 7: a value short
        'A4,"Delta ""quoted""",mid,R2\n'  # line 8
        "A1,Again,smb,R1\n"
    )  # line 9: duplicate of line 2
    for newline in ("\n", "\r\n"):
        result = import_files(store, "accounts", [write(tmp_path / "accounts.csv", text, newline=newline)])
        assert reasons(result) == [
            (7, "has 3 values but the header has 4 columns; check the delimiter and the quotes on this line"),
            (9, "duplicate account_id 'A1' (first seen on line 2)"),
        ]
        assert (result.read, result.stored, result.rejected) == (5, 3, 2)
    assert rows(store, "SELECT account_id, account_name FROM accounts ORDER BY 1") == [
        ("A1", "Acme\r\nHolding\r\nGroup"),
        ("A2", "Beta"),
        ("A4", 'Delta "quoted"'),
    ]


def test_mixed_line_endings_fall_back_and_keep_line_numbers(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(
        (
            LEADS_HEADER + "\r\nL1,2025-03-01,web,R1,smb,S1,open\nL2,x,web,R1,smb,S1,open\r\n"
            "L3,2025-03-01,web,R1,smb,S1,open\n"
        ).encode()
    )
    result = import_files(store, "leads", [path])
    assert reasons(result) == [(3, "created_at 'x' is not a date (use YYYY-MM-DD)")]
    assert result.stored == 2


# -- duplicates, upsert, idempotence ----------------------------------------------------------------


def test_duplicate_across_files_names_the_first_file(store: Store, tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", f"{LEADS_HEADER}\nL1,2025-03-01,web,R1,smb,S1,open\n")
    b = write(
        tmp_path / "b.csv", f"{LEADS_HEADER}\nL2,2025-03-01,web,R1,smb,S1,open\nL1,2025-03-05,ads,R2,smb,S2,won\n"
    )
    result = import_files(store, "leads", [a, b])
    assert [(r.file, r.line, r.reason) for r in result.rejections] == [
        ("b.csv", 3, "duplicate lead_id 'L1' (first seen in a.csv line 2)"),
    ]
    assert rows(store, "SELECT lead_id, source FROM leads ORDER BY 1") == [("L1", "web"), ("L2", "web")]


def test_existing_row_is_updated_not_duplicated(store: Store, tmp_path: Path) -> None:
    store.execute("INSERT INTO deals VALUES ('D1', NULL, NULL, 'S1', '2025-01-01', 100, NULL, 'new', 0)")
    path = write(tmp_path / "deals.csv", "deal_id,rep_id,signed_at,amount,deal_type\nD1,S2,2025-02-01,250,renewal\n")
    result = import_files(store, "deals", [path])
    assert (result.read, result.stored, result.rejected) == (1, 1, 0)
    assert rows(store, "SELECT * FROM deals") == [
        ("D1", None, None, "S2", dt.date(2025, 2, 1), Decimal("250.00"), None, "renewal", 0),
    ]


def test_reimport_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "leads.csv",
        f"{LEADS_HEADER},closed_at\nL1,2025-03-01,web,R1,smb,S1,won,2025-03-09\n"
        "L2,2025-03-02,ads,R2,smb,S2,open,\nL3,bad,ads,R2,smb,S2,open,\n",
    )
    first = import_files(store, "leads", [path])
    before = rows(store, "SELECT * FROM leads")
    second = import_files(store, "leads", [path])
    assert (first.read, first.stored, first.rejected) == (second.read, second.stored, second.rejected) == (3, 2, 1)
    assert rows(store, "SELECT count(*) FROM leads") == [(2,)]
    cur = store.cursor()
    cur.execute("CREATE TEMP TABLE before_import AS SELECT * FROM leads WHERE false")
    cur.executemany("INSERT INTO before_import VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", before)
    assert cur.execute("SELECT count(*) FROM (SELECT * FROM leads EXCEPT SELECT * FROM before_import)").fetchone() == (
        0,
    )
    assert cur.execute("SELECT count(*) FROM (SELECT * FROM before_import EXCEPT SELECT * FROM leads)").fetchone() == (
        0,
    )
    cur.close()
    assert rows(store, "SELECT table_name, file_name, rows_read, rows_stored, rows_rejected FROM import_log") == [
        ("leads", "leads.csv", 3, 2, 1),
        ("leads", "leads.csv", 3, 2, 1),
    ]


# -- atomicity ------------------------------------------------------------------------------------


def test_missing_required_column_fails_and_changes_nothing(store: Store, tmp_path: Path) -> None:
    before = snapshot(store)
    path = write(tmp_path / "deals.csv", "deal_id,销售,signed_at\nD1,S1,2025-03-01\n")
    with pytest.raises(ImportFailed) as info:
        import_files(store, "deals", [path])
    assert str(info.value) == (
        "deals.csv is missing the required columns amount, deal_type for deals (headers found: 'deal_id', '销售', "
        "'signed_at'); rename the header or map it in a mapping file ([columns] amount = \"your header\")."
    )
    assert snapshot(store) == before


def test_bad_second_file_leaves_every_table_unchanged(store: Store, tmp_path: Path) -> None:
    before = snapshot(store)
    good = write(tmp_path / "a.csv", f"{LEADS_HEADER}\nL1,2025-03-01,web,R1,smb,S1,open\n")
    bad = write(tmp_path / "b.csv", "lead_id,created_at\nL2,2025-03-01\n")
    with pytest.raises(ImportFailed, match=r"b\.csv is missing the required columns source, region_id"):
        import_files(store, "leads", [good, bad])
    assert snapshot(store) == before


def test_failure_after_writing_rolls_everything_back(store: Store, tmp_path: Path) -> None:
    before = snapshot(store)
    path = write(tmp_path / "leads.csv", f"{LEADS_HEADER}\nL1,2025-03-01,web,R1,smb,S1,open\n")

    def progress(fraction: float, message: str) -> None:
        if message == "writing the import log":  # called after the rows were inserted
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        import_files(store, "leads", [path], progress=progress)
    assert snapshot(store) == before
    assert import_files(store, "leads", [path]).stored == 1  # the store still works


def test_missing_file_and_unknown_table_fail_clearly(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"nope.csv was not found"):
        import_files(store, "leads", [tmp_path / "nope.csv"])
    with pytest.raises(ImportFailed, match=r"'lead' is not a table you can import; choose one of regions, teams"):
        import_files(store, "lead", [tmp_path / "nope.csv"])


def test_injection_looking_values_are_plain_text(store: Store, tmp_path: Path) -> None:
    evil = "'; DROP TABLE leads; --"
    path = write(
        tmp_path / "leads.csv",
        f'{LEADS_HEADER},"x""; DROP TABLE reps; --"\nL1,2025-03-01,"{evil}",R1,smb,S1,open,1\n'
        f'L2,2025-03-01,web,R1,smb,"{evil}",open,2\n',
    )
    result = import_files(store, "leads", [path])
    assert rows(store, "SELECT lead_id, source FROM leads") == [("L1", evil)]
    assert reasons(result) == [(3, f"rep_id '{evil}' is not in the reps table; import reps first or fix the id")]
    assert rows(store, "SELECT count(*) FROM reps") == [(2,)]
    assert result.warnings == ["leads.csv: ignored the column 'x\"; DROP TABLE reps; --' (not a column of leads)."]


# -- mapping files ---------------------------------------------------------------------------------


def test_mapping_file_columns_defaults_values_keep_distinct(store: Store, tmp_path: Path) -> None:
    mapping = write(
        tmp_path / "m.toml",
        """
table = "deals"
[columns]
deal_id = "Order No"
rep_id = "Owner"
signed_at = "Closed"
amount = "Value"
[defaults]
deal_type = "new"
[values.rep_id]
"ann" = "S1"
[keep]
Stage = ["Won", "Signed"]
""",
    )
    path = write(
        tmp_path / "export.csv",
        "Order No,Owner,Closed,Value,Stage\nX1,Ann,2025-03-01,10,won\nX2,S2,2025-03-02,20,Lost\n"
        "X3,S2,2025-03-03,30,Signed\n",
    )
    result = import_files(store, "deals", [path], mapping=mapping)
    assert reasons(result) == [(3, "Stage is 'Lost'; this mapping only imports rows where it is Won or Signed")]
    assert rows(store, "SELECT deal_id, rep_id, amount, deal_type FROM deals ORDER BY 1") == [
        ("X1", "S1", Decimal("10.00"), "new"),
        ("X3", "S2", Decimal("30.00"), "new"),
    ]


def test_distinct_merges_identical_derived_rows(store: Store, tmp_path: Path) -> None:
    mapping = {
        "table": "teams",
        "distinct": True,
        "columns": {"team_id": "manager", "team_name": "manager", "region_id": "office"},
        "defaults": {"team_type": "field"},
    }
    path = write(tmp_path / "people.csv", "agent,manager,office\na,M1,R1\nb,M1,R1\nc,M2,R2\nd,M2,R1\n")
    result = import_files(store, "teams", [path], mapping=mapping)
    assert (result.read, result.stored, result.rejected) == (4, 3, 1)
    assert reasons(result) == [(5, "duplicate team_id 'M2' (first seen on line 4)")]
    assert rows(store, "SELECT team_id, region_id FROM teams WHERE team_id LIKE 'M%' ORDER BY 1") == [
        ("M1", "R1"),
        ("M2", "R2"),
    ]
    assert "1 row was merged into an identical earlier row (distinct = true)." in result.warnings


def test_lookup_fills_a_column_from_the_store(store: Store, tmp_path: Path) -> None:
    mapping = {
        "columns": {"lead_id": "id", "rep_id": "agent", "created_at": "day", "status": "stage"},
        "defaults": {"source": "unknown", "segment": "unknown"},
        "lookup": {"region_id": {"table": "v_reps", "key": "rep_id", "from": "rep_id", "value": "region_id"}},
    }
    path = write(tmp_path / "pipe.csv", "id,agent,day,stage\nO1,S1,2025-03-01,won\nO2,S7,2025-03-01,lost\n")
    result = import_files(store, "leads", [path], mapping=mapping)
    assert reasons(result) == [(3, "region_id (looked up in v_reps by rep_id) is required")]
    assert rows(store, "SELECT lead_id, region_id, source FROM leads") == [("O1", "R1", "unknown")]


def test_bad_mapping_files_fail_clearly(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match=r"is not valid TOML"):
        read_mapping(write(tmp_path / "bad.toml", "[columns\nx = 1"))
    with pytest.raises(ImportFailed, match=r"has the unknown key\(s\) colums"):
        read_mapping(write(tmp_path / "typo.toml", "[colums]\nlead_id = 'x'\n"))
    path = write(tmp_path / "leads.csv", f"{LEADS_HEADER}\nL1,2025-03-01,web,R1,smb,S1,open\n")
    with pytest.raises(ImportFailed, match=r"The mapping names budget, which leads does not have"):
        import_files(store, "leads", [path], mapping={"defaults": {"budget": "1"}})
    with pytest.raises(ImportFailed, match=r"leads.csv has no column 'Kanal', which the mapping names for source"):
        import_files(store, "leads", [path], mapping={"columns": {"source": "Kanal"}})


# -- folder import and CLI ------------------------------------------------------------------------------


def test_import_folder_in_dependency_order(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write(
        folder / "reps.csv",
        'rep_id,rep_name,team_id,role,hire_date,monthly_salary\nS1,Ann,T1,field,2024-01-01,"8,000"\n',
    )
    write(folder / "teams.csv", "team_id,team_name,region_id,team_type\nT1,Alpha,R1,field\n")
    write(folder / "regions.csv", "region_id,region_name\nR1,East\n")
    with Store(tmp_path / "f.duckdb") as s:
        results = import_folder(s, folder)
        assert [(r.table, r.read, r.stored) for r in results] == [("regions", 1, 1), ("teams", 1, 1), ("reps", 1, 1)]
        assert rows(s, "SELECT monthly_salary FROM reps") == [(Decimal("8000.00"),)]


def test_cli_import_prints_counts_and_writes_rejects(store: Store, tmp_path: Path, run_cli: Callable) -> None:
    db = store.path
    store.close()
    path = write(
        tmp_path / "deals.csv",
        "deal_id,rep_id,signed_at,amount,deal_type\nD1,S1,2025-03-01,10,new\nD2,S1,2025-03-01,-1,new\n",
    )
    code, out, err = run_cli("import", "--db", db, "--table", "deals", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "read 2, stored 1, rejected 1",
        "  deals.csv line 3: amount '-1' must not be negative",
        f"rejected rows written to {tmp_path / 'deals.rejects.csv'}",
    ]
    with (tmp_path / "deals.rejects.csv").open(encoding="utf-8-sig", newline="") as fh:
        written = list(csv.reader(fh))
    assert written == [
        ["file", "line", "reason", "deal_id", "rep_id", "signed_at", "amount", "deal_type"],
        ["deals.csv", "3", "amount '-1' must not be negative", "D2", "S1", "2025-03-01", "-1", "new"],
    ]
    code, out, _err = run_cli("import", "--db", db, "--table", "deals", "--rejects", str(tmp_path / "r.csv"), str(path))
    assert (code, out.splitlines()[0]) == (0, "read 2, stored 1, rejected 1")
    assert (tmp_path / "r.csv").exists()


def test_cli_without_rejects_writes_no_file(tmp_path: Path, run_cli: Callable) -> None:
    path = write(tmp_path / "regions.csv", "区域编号,区域名称\nR1,华东\n")
    code, out, err = run_cli("import", "--db", str(tmp_path / "new.duckdb"), "--table", "regions", str(path))
    assert (code, out, err) == (0, "read 1, stored 1, rejected 0\n", "")
    assert not (tmp_path / "regions.rejects.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--table", "deals", "{dir}/deals.csv"],
            "error: deals.csv is missing the required columns rep_id, signed_at, amount, deal_type for deals (headers "
            "found: 'deal_id'); rename the header or map it in a mapping file ([columns] rep_id = \"your header\").\n",
        ),
        (
            ["--table", "dealz", "{dir}/deals.csv"],
            "error: 'dealz' is not a table you can import; choose one of regions, teams, reps, accounts, leads, "
            "touchpoints, deals, calls, rep_metrics, targets, nps, innovations, display_names.\n",
        ),
        (
            ["--table", "deals", "{dir}/missing.csv"],
            "error: missing.csv was not found (looked for {dir}/missing.csv); check the file name and folder.\n",
        ),
        (
            ["--table", "deals", "--mapping", "{dir}/none.toml", "{dir}/deals.csv"],
            "error: The mapping file {dir}/none.toml was not found; check its name and folder.\n",
        ),
    ],
)
def test_cli_errors_exit_2_with_one_sentence(tmp_path: Path, run_cli: Callable, args: list[str], message: str) -> None:
    write(tmp_path / "deals.csv", "deal_id\nD1\n")
    argv = [a.format(dir=tmp_path) for a in args]
    code, out, err = run_cli("import", "--db", str(tmp_path / "t.duckdb"), *argv)
    assert (code, out, err) == (2, "", message.format(dir=tmp_path))


def test_cli_import_all(tmp_path: Path, run_cli: Callable) -> None:
    write(tmp_path / "regions.csv", "region_id,region_name\nR1,East\nR1,East again\n")
    code, out, _err = run_cli("import-all", "--db", str(tmp_path / "t.duckdb"), str(tmp_path))
    assert code == 0
    assert out.splitlines()[0] == "regions: read 2, stored 1, rejected 1"
    assert (tmp_path / "regions.rejects.csv").exists()


# -- the public Maven CRM sample ---------------------------------------------------------------------------


@pytest.mark.skipif(not MAVEN.is_dir(), reason="the shared Maven CRM sample is not present")
def test_maven_crm_sample_loads_with_committed_mappings(tmp_path: Path) -> None:
    with (MAVEN / "sales_pipeline.csv").open(newline="", encoding="utf-8") as fh:
        pipeline = list(csv.DictReader(fh))
    with (MAVEN / "sales_teams.csv").open(newline="", encoding="utf-8") as fh:
        teams = list(csv.DictReader(fh))
    no_engage = [i + 2 for i, r in enumerate(pipeline) if not r["engage_date"]]
    won = sum(r["deal_stage"] == "Won" for r in pipeline)
    steps = [
        ("regions", "sales_teams.regions", "sales_teams"),
        ("teams", "sales_teams.teams", "sales_teams"),
        ("reps", "sales_teams.reps", "sales_teams"),
        ("accounts", "accounts.accounts", "accounts"),
        ("leads", "sales_pipeline.leads", "sales_pipeline"),
        ("deals", "sales_pipeline.deals", "sales_pipeline"),
    ]
    with Store(tmp_path / "maven.duckdb") as s:
        results = {t: import_files(s, t, [MAVEN / f"{f}.csv"], mapping=MAPPINGS / f"{m}.toml") for t, m, f in steps}
        assert rows(s, "SELECT count(*) FROM regions")[0][0] == len({r["regional_office"] for r in teams})
        assert rows(s, "SELECT count(*) FROM teams")[0][0] == len({r["manager"] for r in teams})
        assert rows(s, "SELECT count(*) FROM reps")[0][0] == len(teams)
        leads = results["leads"]
        assert (leads.read, leads.stored, leads.rejected) == (
            len(pipeline),
            len(pipeline) - len(no_engage),
            len(no_engage),
        )
        assert [r.line for r in leads.rejections] == no_engage
        assert {r.reason for r in leads.rejections} == {"created_at (column 'engage_date') is required"}
        assert rows(s, "SELECT count(*) FROM leads WHERE region_id IS NULL OR segment IS NULL") == [(0,)]
        deals = results["deals"]
        assert (deals.read, deals.stored) == (len(pipeline), won)
        assert rows(s, "SELECT count(*) FROM deals")[0][0] == won


def test_the_importer_and_the_accounts_module_never_import_the_cli() -> None:
    """analytics.cli is the outermost layer: the importer and analytics.users are usable without it."""
    sources = [*sorted((ROOT / "analytics" / "ingest").glob("*.py")), ROOT / "analytics" / "users.py"]
    offenders = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(f"{node.module}.{a.name}" for a in node.names)]
            offenders += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[:2] == ["analytics", "cli"]]
    assert len(sources) >= 8
    assert not offenders, offenders

"""Uploaded files and mapping files cannot inject SQL: headers, mapped names and defaults are data."""

from __future__ import annotations

from analytics import ingest

EVIL_HEADER = 'name") OR 1=1 DROP TABLE regions --'  # no ';' so the CSV sniffer keeps ','
EVIL_VALUE = "'; DROP TABLE leads; --"


def test_hostile_headers_mapping_and_defaults_are_stored_as_text(empty_store, tmp_path):
    csv = tmp_path / "regions.csv"
    csv.write_text(f'id_col,"{EVIL_HEADER.replace(chr(34), chr(34) * 2)}"\nR1,East\nR2,"{EVIL_VALUE}"\n', "utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        f"[columns]\nregion_id = \"id_col\"\nregion_name = '{EVIL_HEADER}'\n",
        "utf-8",
    )
    result = ingest.import_files(empty_store, "regions", [csv], mapping=mapping)
    assert (result.read, result.stored, result.rejected) == (2, 2, 0)
    rows = empty_store.query("SELECT region_id, region_name FROM regions ORDER BY region_id").values.tolist()
    assert rows == [["R1", "East"], ["R2", EVIL_VALUE]]
    assert empty_store.scalar("SELECT count(*) FROM leads") == 0  # the table still exists


def test_hostile_default_in_a_mapping_is_a_value(empty_store, tmp_path):
    csv = tmp_path / "regions.csv"
    csv.write_text("region_id\nR9\n", "utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text(f'[defaults]\nregion_name = "{EVIL_VALUE}"\n', "utf-8")
    result = ingest.import_files(empty_store, "regions", [csv], mapping=mapping)
    assert result.stored == 1
    assert empty_store.scalar("SELECT region_name FROM regions WHERE region_id = 'R9'") == EVIL_VALUE

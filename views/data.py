"""Data: what the store holds, and the importer (upload, progress, rejects download)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from analytics import access, ingest, runs
from analytics.snapshots import StoreBusy
from analytics.store import DATA_TABLES
from ui import data
from ui import format as fmt
from ui.context import get_context
from ui.i18n import t

ctx = get_context()
st.title(t("Data"))
store = data.store()

#: What each importable table holds, for readers of other languages than English.
TABLE_NAMES = {
    "regions": t("Regions"),
    "teams": t("Teams"),
    "reps": t("Sales reps"),
    "accounts": t("Customer accounts"),
    "leads": t("Sales leads"),
    "touchpoints": t("Marketing touchpoints"),
    "deals": t("Deals"),
    "calls": t("Calls"),
    "rep_metrics": t("Rep metrics"),
    "targets": t("Targets"),
    "nps": t("NPS responses"),
    "innovations": t("Innovations"),
    "display_names": t("Display names"),
}


def table_label(table: str) -> str:
    """A table as the page names it: its identifier (used in file names and the CLI), which
    is already English, and in other languages its name first (``线索（leads）``)."""
    if ctx.lang == "en" or table not in TABLE_NAMES:
        return table
    return t("{name} ({table})", name=TABLE_NAMES[table], table=table)


counts = store.table_counts()
st.subheader(t("What the store holds"))
st.dataframe(
    [{t("Table"): table_label(name), t("Rows"): fmt.count(n)} for name, n in counts.items()],
    hide_index=True,
    width="content",
)
st.caption(t("Store file: {path} (schema version {version}).", path=data.db_path(), version=store.schema_version()))

st.subheader(t("Imports and other runs"))
log = runs.recent_runs(store.control, limit=20)
if log.empty:
    st.caption(t("Nothing has been imported into this store yet."))
else:
    shown = log[["kind", "source", "status", "started_at", "finished_at", "version", "rows_stored", "rows_rejected"]]
    shown = shown.assign(**{c: [t(v) for v in shown[c]] for c in ("kind", "source", "status")})
    st.dataframe(fmt.labelled(shown), hide_index=True, width="stretch")
    failed = log[log["status"] == "failed"].head(1)
    if not failed.empty:
        st.caption(
            t("Last failure: {reason}", reason=ingest.translate_message(str(failed["message"].iloc[0]), ctx.lang))
        )

st.subheader(t("Import a file"))
if ctx.scope.role not in access.ADMIN_ROLES:
    st.info(t("Only a leader can import data."))
    st.stop()
st.markdown(
    t(
        "CSV, TSV, Excel (.xlsx) or Parquet; UTF-8, GBK, GB18030 or UTF-16; English or Chinese headers. "
        "Every row is either stored or listed as rejected with its line number; a file with a missing "
        "column changes nothing."
    )
)
table = st.selectbox(
    t("Table"), [tb for tb in DATA_TABLES if tb in ingest.TABLE_COLUMNS], format_func=table_label, key="data_table"
)
columns = ingest.TABLE_COLUMNS[table]
st.caption(
    t(
        "Columns: {columns} (optional ones end in ?).",
        columns=", ".join(name + ("" if required else "?") for name, required in columns),
    )
)
files = st.file_uploader(
    t("Files"), accept_multiple_files=True, key="data_files", type=["csv", "tsv", "txt", "xlsx", "parquet"]
)
mapping = st.file_uploader(t("Column-mapping file (optional, TOML)"), type=["toml"], key="data_mapping")

if st.button(t("Import"), type="primary", disabled=not files, key="data_import"):
    bar = st.progress(0.0, text=t("Reading files…"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for up in files:
            p = Path(tmp) / Path(up.name).name
            p.write_bytes(up.getvalue())
            paths.append(p)
        mapping_path = None
        if mapping is not None:
            mapping_path = Path(tmp) / "mapping.toml"
            mapping_path.write_bytes(mapping.getvalue())
        try:
            with (
                runs.recorded(store.control, "import", source="page", command=" ".join(up.name for up in files)) as run,
                data.writer("an import from the Data page") as writer,
            ):
                result = ingest.import_files(
                    writer,
                    table,
                    paths,
                    mapping=mapping_path,
                    file_names=[up.name for up in files],
                    progress=lambda frac, msg: bar.progress(
                        min(max(frac, 0.0), 1.0), text=ingest.translate_message(msg, ctx.lang)
                    ),
                )
                writer.close()
                run.version = writer.version
                run.count([result])
        except StoreBusy as exc:
            bar.empty()
            st.error(t("Nothing was imported: {reason}", reason=str(exc)))
            st.stop()
        except ingest.ImportFailed as exc:
            bar.empty()
            st.error(t("Nothing was imported: {reason}", reason=ingest.translate_message(str(exc), ctx.lang)))
            st.stop()
    bar.progress(1.0, text=t("Done"))
    st.session_state["data_last_result"] = result
    data.pin_version()  # read the snapshot just published
    st.rerun()  # redraw the table counts above with the imported rows

result = st.session_state.get("data_last_result")
if result is not None:
    msg = t(
        "{table}: read {read}, stored {stored}, rejected {rejected}.",
        table=table_label(result.table),
        read=fmt.count(result.read),
        stored=fmt.count(result.stored),
        rejected=fmt.count(result.rejected),
    )
    (st.warning if result.rejected else st.success)(msg)
    for w in result.warnings:
        st.info(ingest.translate_message(w, ctx.lang))
    if result.rejected:
        rejects = ingest.translated_rejects(result.rejects_frame(), ctx.lang)
        st.dataframe(rejects.head(200), hide_index=True, width="stretch")
        st.download_button(
            t("Download rejected rows (CSV)"),
            rejects.to_csv(index=False).encode("utf-8-sig"),
            file_name=f"{result.table}.rejects.csv",
            mime="text/csv",
            key="data_rejects",
        )

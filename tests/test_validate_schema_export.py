"""The language-neutral schema files in schemas/ are in sync with the pandera models, and readable."""
from __future__ import annotations

import base64
import json

import pandera.pandas as pa
import pyarrow
import pyarrow.ipc
import pytest
import yaml

from conftest import REPO
from newsclean.schemas import arrow_schema
from newsclean.schemas.export import TABLES, exported_files, main, stale_files


def test_committed_schema_files_match_the_models():
    stale = stale_files(REPO / "schemas")  # the checkout's files, not an installed copy
    assert not stale, f"out of date: {stale}; run python3 -m newsclean.schemas.export and commit schemas/"


def test_export_check_command_exits_0_when_in_sync_and_1_when_stale(tmp_path):
    assert main(["--check"]) == 0
    for name, text in exported_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert stale_files(tmp_path) == []
    (tmp_path / "corpus.schema.yaml").write_text("columns: {}\n", encoding="utf-8")
    (tmp_path / "rejects.arrow.json").unlink()
    assert sorted(stale_files(tmp_path)) == ["corpus.schema.yaml", "rejects.arrow.json"]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_neutral_files_state_every_column_as_written(table):
    """A consumer without pandera or pyarrow-python gets names, types, nullability and descriptions."""
    expected = arrow_schema(TABLES[table])
    arrow = json.loads((REPO / "schemas" / f"{table}.arrow.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in arrow["columns"]] == expected.names
    for column, field in zip(arrow["columns"], expected):
        assert column["nullable"] == field.nullable
        assert column["description"] == field.metadata[b"description"].decode()
        if pyarrow.types.is_list(field.type):
            assert column["type"] == "list" and column["item"]["type"] == str(field.type.value_type)
        else:
            assert column["type"] == str(field.type)
    ipc = pyarrow.ipc.read_schema(pyarrow.py_buffer(base64.b64decode(arrow["arrow_ipc_base64"])))
    assert ipc.equals(expected, check_metadata=True)

    for suffix, load in (("yaml", yaml.safe_load), ("json", json.loads)):
        serialised = load((REPO / "schemas" / f"{table}.schema.{suffix}").read_text(encoding="utf-8"))
        assert list(serialised["columns"]) == expected.names
        for name, column in serialised["columns"].items():
            assert column.get("nullable", False) == expected.field(name).nullable


ROUND_TRIP_LIMIT = ("pandera's engine cannot read back the names of Arrow list and timestamp dtypes "
                    "('list<item: string>[pyarrow]', 'timestamp[us][pyarrow]')")


@pytest.mark.parametrize("table", [
    "removals", "duplicates",
    pytest.param("corpus", marks=pytest.mark.xfail(raises=TypeError, strict=True, reason=ROUND_TRIP_LIMIT)),
    pytest.param("rejects", marks=pytest.mark.xfail(raises=TypeError, strict=True, reason=ROUND_TRIP_LIMIT)),
])
def test_pandera_reads_the_yaml_back_to_the_same_schema(table):
    text = (REPO / "schemas" / f"{table}.schema.yaml").read_text(encoding="utf-8")
    assert pa.DataFrameSchema.from_yaml(text) == TABLES[table].to_schema()

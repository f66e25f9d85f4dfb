"""Text that is not UTF-8 is decoded right through `run`; what cannot be decoded is quarantined."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from newsclean import run

TITLE = "Café owners welcome the new market rules"
BODY = ("The café owners’ association said on Friday that the “new rules” were fair, and that the "
        "crème brûlée stall would stay in the Zürich square until the end of the season.")
# One own paragraph per file: the corpus folds near-duplicate texts into one row.
OWN = {
    "cp1252": "Tomorrow the harbour board meets to discuss dredging the channel before the regatta season begins.",
    "latin1": "Several farmers brought apples, pears and late plums, selling most of them before noon.",
    "utf16bom": "A retired teacher organised the petition, gathering nine hundred signatures in three weeks.",
    "utf16le": "Police closed two side streets on Thursday while workers replaced a broken water main.",
    "utf8bom": "Next year the stalls will get electricity, so vendors can keep soup and coffee warm all day.",
}
ENCODINGS = {"cp1252": "cp1252", "latin1": "latin-1", "utf16bom": "utf-16", "utf16le": "utf-16-le",
             "utf8bom": "utf-8-sig"}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("in")
    for name, encoding in ENCODINGS.items():
        body = BODY if encoding != "latin-1" else BODY.translate(str.maketrans("’“”", "'\"\""))
        (folder / f"{name}.txt").write_bytes(f"{TITLE} ({name})\n{body}\n{OWN[name]}\n".encode(encoding))
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "empty.txt").write_bytes(b"  \n")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(100))
    (folder / "notes.csv").write_text("a,b\n")
    out = folder.parent / "out"
    summary = run([folder], out)
    return summary, {r["id"]: r for r in pq.read_table(out / "data").to_pylist()}, \
        {r["id"]: r for r in pq.read_table(out / "rejects").to_pylist()}


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_each_encoding_decodes_to_the_same_text(release, name):
    _, rows, _ = release
    expected = BODY if name != "latin1" else BODY.translate(str.maketrans("’“”", "'\"\""))
    assert rows[name]["title"] == f"{TITLE} ({name})"
    assert rows[name]["text"] == f"{expected}\n\n{OWN[name]}"


def test_undecodable_inputs_are_quarantined_and_unknown_files_counted(release):
    summary, _, rejects = release
    assert rejects["binary"]["reason"] == "binary"
    assert rejects["empty"]["reason"] == "empty"
    assert summary.skipped_files == {".csv": 1, ".jpg": 1}

"""Step: mend scraper artefacts in the kept lines and lay them out as paragraphs."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..document import Document
from .fix import NEEDS_FTFY, fix_text_fast

# A line that ends mid-sentence: no sentence-final punctuation (closing quotes and brackets
# after it allowed) and no heading-like colon.
ENDS_SENTENCE = re.compile(r"[.!?…:;]['\"”’»)\]]*$|[\"”»)\]]$")
STARTS_LOWER = re.compile(r"^[a-z]")
# ". ." or " ." left after a sentence already closed: drop the stray dot.
STRAY_DOT = re.compile(r"(?<=[.!?][\"”’)]) *\.(?![.\w])|(?<=[.!?]) +\.(?![.\w])(?! \.)")
# "word ." / "word ," : a space the scraper put before the mark. Only the spaces are matched
# (the mark is a lookahead), so the replacement is "" and no template is expanded per match.
SPACE_BEFORE_MARK = re.compile(r"(?<=[\w\"”’)]) +(?=[,.;:!?](?:\s|$))")
ELLIPSIS_SPACED = re.compile(r"\. \. \.")


def fix_stray_punctuation(text: str) -> str:
    """'bilaterally. .' -> 'bilaterally.'; 'Wang Yi , head' -> 'Wang Yi, head'; '. . .' kept."""
    if " ." not in text and " ," not in text and " ;" not in text and " :" not in text \
            and " !" not in text and " ?" not in text:
        return text
    if ELLIPSIS_SPACED.search(text):
        return text  # spaced ellipses are a style; leave the whole line alone
    text = STRAY_DOT.sub("", text)
    return SPACE_BEFORE_MARK.sub("", text)


def continues_paragraph(previous: str, line: str) -> bool:
    """The line carries on a sentence the previous line left open, and joining them does not
    make text that the ftfy repair would change ("Ã" + " a" reads as mojibake of "à"): cleaning
    the output again must find nothing to do, and no word may appear that was not there."""
    if not STARTS_LOWER.match(line) or ENDS_SENTENCE.search(previous):
        return False
    if NEEDS_FTFY.search(previous) or NEEDS_FTFY.search(line):
        joined = f"{previous} {line}"
        return fix_text_fast(joined) == joined
    return True


def join_split_paragraphs(lines: list[str]) -> tuple[list[str], list[int]]:
    """Join a line that stops mid-sentence to the next when that one starts in lower case.

    Returns the paragraphs and, for each, the index in `lines` of its first line."""
    paragraphs: list[list[str]] = []  # the lines of each paragraph, joined once at the end
    starts: list[int] = []
    for index, line in enumerate(lines):
        if paragraphs and continues_paragraph(paragraphs[-1][-1], line):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
            starts.append(index)
    return [" ".join(parts) for parts in paragraphs], starts


@dataclass(frozen=True)
class RepairText:
    """Joins split paragraphs, fixes stray punctuation, one blank line between paragraphs."""

    name: str = "repair_text"

    def __call__(self, doc: Document) -> Document:
        kept = [text for _, text in doc.lines]
        paragraphs, starts = join_split_paragraphs(kept)
        if len(paragraphs) < len(kept):
            doc.repairs.append("join_paragraphs")
        doc.paragraph_lines = [doc.lines[index][0] for index in starts]
        fixed = [fix_stray_punctuation(p) for p in paragraphs]
        if fixed != paragraphs:
            doc.repairs.append("stray_punctuation")
        doc.text = "\n\n".join(fixed)
        return doc

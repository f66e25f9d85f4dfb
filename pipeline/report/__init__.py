"""`newsclean report DIR`: one self-contained HTML page about a release, with plots (inline SVG,
no script, nothing fetched when viewed) and a sample of documents with their removals. Every
release carries one (`report.html`, linked from its card); its bytes depend only on the tables."""
from __future__ import annotations

from html import escape
from pathlib import Path

from ..inspect import find
from . import svg
from .data import ReportData

STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}figure{margin:1em 0}
figcaption{color:#555;font-size:.9em}svg text{font:11px system-ui,sans-serif;fill:#222}
svg text.empty{fill:#777}ol.doc{font:12px/1.4 ui-monospace,monospace;padding-left:4em}
ol.doc del{color:#b33}ol.doc .rule{color:#a60;margin-left:1em}table{border-collapse:collapse}
td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}td.n{text-align:right}"""


def _figure(name: str, caption: str, plot: str) -> str:
    return f'<figure class="plot" data-plot="{name}">{plot}<figcaption>{escape(caption)}</figcaption></figure>'


def plots(report: ReportData) -> list[str]:
    """Every figure of the page, in reading order."""
    months = report.published_months
    unknown = f"; {report.published_unknown:,} without a date" if report.published_unknown else ""
    return [
        _figure("removals-by-family", "Lines removed, by family (title: the headline moved into `title`)",
                svg.bars("Lines removed by family", report.removals_by_family, "no line was removed")),
        _figure("removals-by-rule", f"Lines removed, by rule (top {len(report.removals_by_rule)})",
                svg.bars("Lines removed by rule", report.removals_by_rule, "no line was removed")),
        _figure("length", "Words per article: as published, and with the removed lines put back",
                svg.columns("Words per article", report.length_labels,
                            [("before", report.length_before), ("after", report.length_after)],
                            "no article was published")),
        _figure("published", f"Articles by month of `published`{unknown}",
                svg.columns("Articles by month", [m for m, _ in months], [("articles", [n for _, n in months])],
                            "no article has a publication date")),
        _figure("sources", f"Top {len(report.sources)} sources (url host or site name)",
                svg.bars("Top sources", report.sources, "no article was published")),
        _figure("languages", "Languages (fastText lid.176)",
                svg.bars("Languages", report.languages, "no article was published")),
        _figure("rejects", "Rejected inputs, by reason (and failed schema check)",
                svg.bars("Rejected inputs", report.rejects, "no input was rejected")),
        _figure("duplicate-clusters", "Duplicate clusters, by articles per cluster (canonical + folded copies)",
                svg.columns("Duplicate clusters", report.cluster_labels, [("clusters", report.cluster_sizes)],
                            "no duplicates were found")),
    ]


def _sample_document(release: Path, doc_id: str) -> str:
    _, row, lines = find(release, doc_id)
    items = []
    for item in lines:
        if item.rule is None:
            items.append(f'<li value="{item.line}">{escape(item.text)}</li>')
        else:
            items.append(f'<li value="{item.line}"><del>{escape(item.text)}</del>'
                         f'<span class="rule">{escape(item.rule)} / {escape(item.family)}</span></li>')
    return (f"<h3>{escape(doc_id)}: {escape(row['title'] or '')}</h3>"
            f'<ol class="doc">{"".join(items)}</ol>')


def report_html(release: Path) -> str:
    release = Path(release)
    report = ReportData.read(release)
    removed = sum(n for _, n in report.removals_by_family)
    rejected = sum(n for _, n in report.rejects)
    summary = [("articles published", report.documents), ("words", report.words),
               ("lines removed", removed), ("rejected inputs (by check)", rejected),
               ("duplicate clusters", sum(report.cluster_sizes))]
    rows = "".join(f'<tr><th>{escape(k)}</th><td class="n">{v:,}</td></tr>' for k, v in summary)
    samples = "".join(_sample_document(release, doc_id) for doc_id in report.sample_ids) or "<p>none</p>"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>newsclean release report</title><style>{STYLE}</style></head><body>"
            "<h1>newsclean release report</h1>"
            f"<table>{rows}</table>"
            "<h2>Plots</h2>" + "".join(plots(report)) +
            "<h2>Sample documents</h2><p>Articles that lost lines, spread over the id order: each "
            "line numbered as in the input; removed lines struck through, with their rule and family; "
            "kept lines as published.</p>" + samples +
            "</body></html>\n")


def write_report(release: Path, out: Path) -> None:
    Path(out).write_text(report_html(release), encoding="utf-8")

"""What the cleaner removes from articles that carry no chrome: the reviewed article texts of
`../shared/html-dev/gold.jsonl` (WCXB development split, CC-BY-4.0), each headline on its first
line as a repost prints it. Every line removed there is a candidate false positive: an article
body the way an autoblog repost carries it, without the page around it.

    python3 bench/clean_articles.py               # totals and removals by rule
    python3 bench/clean_articles.py --show RULE   # the lines RULE removed
    python3 bench/clean_articles.py --titled      # the headline given apart, not in the text

Not every removal is a loss: the reviewed texts keep some lines the cleaner removes on purpose
("Also read: ...", "View at Amazon", a date line, an affiliate disclosure, a pull quote
printed twice). The figure to watch is a rule's count moving, and the lines behind it.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

GOLD = Path(__file__).resolve().parents[2] / "shared" / "html-dev" / "gold.jsonl"


def main() -> None:
    from newsclean import clean_text

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--titled", action="store_true", help="give the headline as the title, not as a line")
    parser.add_argument("--show", metavar="RULE", help="print the lines this rule removed")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.gold.read_text(encoding="utf-8").split("\n") if line]
    rows = [row for row in rows if row.get("main_content") and row.get("title")]
    words = lost = pages = 0
    lines, lost_words, shown = Counter(), Counter(), defaultdict(list)
    for row in rows:
        body, title = row["main_content"], row["title"].strip()
        if args.titled:
            doc = clean_text(body, title=title, url=row.get("url"), id=row["id"])
        else:
            doc = clean_text(f"{title}\n\n{body}", url=row.get("url"), id=row["id"])
        words += len(body.split())
        taken = [r for r in doc.removals if args.titled or r.text.strip() != title]
        pages += bool(taken)
        for removal in taken:
            lines[removal.rule] += 1
            lost_words[removal.rule] += len(removal.text.split())
            shown[removal.rule].append(f"{row['id']}: {removal.text[:160]}")
        lost += sum(len(r.text.split()) for r in taken)
    print(f"{len(rows)} articles, {words} words; removed {lost} words ({lost / words:.4f}) "
          f"on {pages} articles; retention {1 - lost / words:.4f}")
    print("| rule | lines | words |\n|---|---|---|")
    for rule, count in lost_words.most_common():
        print(f"| {rule} | {lines[rule]} | {count} |")
    if args.show:
        print("\n".join(shown.get(args.show, [])))


if __name__ == "__main__":
    main()

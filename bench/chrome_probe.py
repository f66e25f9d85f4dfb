"""How many chrome lines of the kinds a repost or a page carries stay, placed alone at the top,
in the middle and at the end of a five-paragraph article.

    python3 bench/chrome_probe.py            # counts, and each line that stays somewhere
    python3 bench/chrome_probe.py --quiet    # counts only

The lines (`bench/chrome_probe.txt`, one per line) were written for this probe: captions' labels
and buttons, credits, date lines, disclaimers, players, a reader's tools, comment threads' headings,
consent and sign-in buttons, section names. A single section name ("Sports", "Opinion") stays on
purpose: alone it may be a subheading, and only a run of them shows a menu. `clean_text` runs with
its default options (rules and body model) and the article's headline given.
"""
from __future__ import annotations

import argparse
from pathlib import Path

STORY = [
    "The council voted on Tuesday to close the old bridge to lorries until its repairs are done, after engineers found cracks in two of its arches.",
    "Residents had asked for the change for years, citing the noise and the vibrations that shook their windows whenever a heavy vehicle passed.",
    "Work is due to start in the spring and to last about eight months, the council said in a statement, adding that buses would be diverted.",
    "Local shop owners said they feared a drop in trade while the bridge was closed, but most welcomed the repairs as long overdue.",
    "The bridge, built in 1871, carries about 12,000 vehicles a day, according to the county's latest traffic survey published last year.",
]
TITLE = "Council closes old bridge to lorries"
PLACES = {"top": lambda line: [line] + STORY, "middle": lambda line: STORY[:2] + [line] + STORY[2:],
          "end": lambda line: STORY + [line]}


def stays(line: str) -> dict[str, bool]:
    """Whether the line stands in the clean text, placed at each of PLACES."""
    from newsclean import clean_text

    return {place: line in clean_text("\n\n".join(build(line)), title=TITLE).text.split("\n\n")
            for place, build in PLACES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=Path, default=Path(__file__).with_name("chrome_probe.txt"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    lines = [line.strip() for line in args.lines.read_text(encoding="utf-8").splitlines() if line.strip()]
    kept = {place: 0 for place in PLACES}
    for line in lines:
        verdict = stays(line)
        for place, stood in verdict.items():
            kept[place] += stood
        if any(verdict.values()) and not args.quiet:
            print("".join("K" if verdict[place] else "." for place in PLACES), line)
    print(f"{len(lines)} chrome lines; staying at the top / in the middle / at the end: "
          + " / ".join(str(kept[place]) for place in PLACES))


if __name__ == "__main__":
    main()

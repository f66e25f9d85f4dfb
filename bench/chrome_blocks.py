"""How many lines of chrome blocks stay, each block placed whole at the top, in the middle and at
the end of a five-paragraph article: `chrome_probe.py`'s lines come alone, but reposts and pages
carry modules of several lines (a heading over other stories' headlines, a share row, a comment
thread, a comment form, a footer), where a line is chrome only because of the lines around it.

    python3 bench/chrome_blocks.py

`clean_text` runs with its default options (rules and body model) and the article's headline
given. The blocks were written for this probe. Some stay on purpose: headlines with no heading
above them (alone, each may be a subheading), a biography without its heading, reader comments
without a 'Reply' (a timeline has the same shape), "Contact" alone.
"""
from __future__ import annotations

from chrome_probe import STORY, TITLE

HEADLINES = ["Storm leaves thousands without power across the region", "Council approves new budget after long debate",
             "Police appeal for witnesses after crash on motorway"]
BLOCKS = {
    "related headlines": ["Related"] + HEADLINES,
    "you may also like": ["You may also like"] + HEADLINES[:2],
    "more from an outlet": ["More from Example News"] + HEADLINES[:2],
    "previous and next": ["Previous article", HEADLINES[0], "Next article", HEADLINES[1]],
    "tags": ["Tags:", "Bridge", "Council", "Transport"],
    "tags on one line": ["Tags: bridge, council, transport, roads"],
    "headlines without a heading": HEADLINES,
    "teasers with dates": [HEADLINES[0], "March 3, 2025", HEADLINES[1], "March 2, 2025"],
    "share row": ["Share this:", "Facebook", "Twitter", "WhatsApp", "Email"],
    "author box": ["About the author", "Jane Doe is a reporter covering transport and local government for Example News."],
    "comment thread": ["3 comments", "John Smith", "March 3, 2025 at 10:15 am",
                       "About time they fixed this bridge, it has been falling apart for years.", "Reply",
                       "Mary Jones", "March 3, 2025 at 11:02 am", "The diversion will be a nightmare for the school run.", "Reply"],
    "comment form": ["Leave a Reply", "Your email address will not be published. Required fields are marked *",
                     "Comment", "Name *", "Email *", "Website", "Post Comment"],
    "footer": ["About Us", "Contact", "Privacy Policy", "Terms of Service", "© 2025 Example News. All rights reserved."],
    "newsletter box": ["Get the latest news", "Enter your email", "Subscribe", "We respect your privacy."],
}
PLACES = {"top": lambda block: block + STORY, "middle": lambda block: STORY[:3] + block + STORY[3:],
          "end": lambda block: STORY + block}


def main() -> None:
    from newsclean import clean_text

    totals = {place: 0 for place in PLACES}
    lines = sum(len(block) for block in BLOCKS.values())
    print("| block | lines | staying at the top | in the middle | at the end | article lines lost |\n|---|---|---|---|---|---|")
    for name, block in BLOCKS.items():
        stays, lost = [], 0
        for place, build in PLACES.items():
            out = clean_text("\n\n".join(build(block)), title=TITLE).text.split("\n\n")
            stays.append(sum(line in out for line in block))
            lost += sum(paragraph not in out for paragraph in STORY)
            totals[place] += stays[-1]
        print(f"| {name} | {len(block)} | " + " | ".join(map(str, stays)) + f" | {lost} |")
    print(f"\n{lines} chrome lines in {len(BLOCKS)} blocks; staying at the top / in the middle / at the end: "
          + " / ".join(str(totals[place]) for place in PLACES))


if __name__ == "__main__":
    main()

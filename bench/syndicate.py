#!/usr/bin/env python3
"""Turn a one-site benchmark corpus into a multi-source one, for the corpus-level stage.

`../shared/bench/make_corpus.py` writes every document under one host and no copies. This
spreads the documents over `--sources` hosts, gives each host its own template lines (a
footer on most of its pages, a pitch on some), and adds syndicated copies: `--near` of the
documents re-published on another host with a small edit, `--exact` re-published unchanged
(exact copies once the host's template lines are gone).

    python3 bench/syndicate.py bench/out/corpus-100k.jsonl bench/out/syndicated.jsonl

Same arguments -> byte-identical output.
"""
import argparse
import json
import random


NAMES = ("ash", "birch", "cedar", "dale", "elm", "fern", "glen", "heath", "iris", "juniper", "kestrel",
         "larch", "moss", "north", "oak", "pine", "quarry", "reed", "stone", "thorn")
SUFFIXES = ("ford", "field", "bury", "wick", "mouth", "ton", "ham", "by", "stead", "well")


def host_lines(host: str) -> tuple[str, str]:
    name = host.split(".")[0].title()
    return (f"{name} Gazette is printed and published by {name} Media Group in its home county.",
            f"Readers of the {name} Gazette can send their tips to the {name} newsroom desk.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--sources", type=int, default=50)
    ap.add_argument("--near", type=float, default=0.04, help="share of documents copied with an edit")
    ap.add_argument("--exact", type=float, default=0.01, help="share of documents copied unchanged")
    ap.add_argument("--seed", type=int, default=8)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    # letters only: template lines are compared with digits ignored, so "outlet7" and "outlet8"
    # would make every host's footer the same line, shared by all sources (and so kept)
    hosts = [f"{NAMES[n % len(NAMES)]}{SUFFIXES[n // len(NAMES) % len(SUFFIXES)]}.example"
             for n in range(a.sources)]
    copies = 0
    with open(a.src, encoding="utf-8") as src, open(a.out, "w", encoding="utf-8", newline="\n") as out:
        for line in src:
            row = json.loads(line)
            body = row["text"]
            host = rng.choice(hosts)

            def dress(text: str, on: str) -> str:
                footer, pitch = host_lines(on)
                parts = [text]
                if rng.random() < 0.4:
                    parts.append(pitch)
                if rng.random() < 0.9:
                    parts.append(footer)
                return "\n\n".join(parts)

            doc_id = row["id"]
            out.write(json.dumps({"id": doc_id, "url": f"https://{host}/{doc_id}", "text": dress(body, host)},
                                 ensure_ascii=False) + "\n")
            draw = rng.random()
            if draw < a.near + a.exact:
                other = rng.choice([h for h in hosts if h != host])
                text = body
                if draw < a.near:  # a small edit: one sentence gains an attribution
                    text = body.replace(". ", ", officials said. ", 1)
                copies += 1
                copy_id = f"copy-{copies:07d}"
                out.write(json.dumps({"id": copy_id, "url": f"https://{other}/{copy_id}",
                                      "text": dress(text, other)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

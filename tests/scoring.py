"""Scoring a cleaned article against line labels, as shared/gold/README.md describes."""
from __future__ import annotations

import re

QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "„": '"', "«": '"', "»": '"'})


def normalise(text: str) -> str:
    """Quote style and whitespace folded; also the spacing around punctuation that the issue asks
    the cleaner to repair (" ," -> ",", ". ." -> "."), so a repaired line still counts as kept."""
    text = re.sub(r"\s+", " ", text.translate(QUOTES)).strip()
    text = re.sub(r"([.!?][\"')]?)(?: \.)+(?=\s|$)", r"\1", text)
    return re.sub(r" ([,.;:!?])(?=\s|$)", r"\1", text)


def score(lines: list[dict], clean_text: str) -> dict:
    """Boilerplate recall and content retention of one document's clean text."""
    paragraphs = {normalise(p) for p in clean_text.split("\n\n")}
    body = normalise(clean_text.replace("\n\n", " "))
    boiler = [l for l in lines if l["label"] not in ("keep", "title")]
    keep = [l for l in lines if l["label"] == "keep"]
    removed = [l for l in boiler if normalise(l["text"]) not in paragraphs]
    kept = [l for l in keep if normalise(l["text"]) in body]
    return {"boilerplate": len(boiler), "removed": len(removed), "keep": len(keep), "kept": len(kept),
            "missed": [l["text"] for l in boiler if l not in removed],
            "lost": [l["text"] for l in keep if l not in kept]}

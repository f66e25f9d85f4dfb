"""The input fingerprint: a hash of the input documents as a set, the same whatever order or
process read them (the driver, or the actors reading planned units)."""
from __future__ import annotations

import hashlib
from typing import Iterable, Iterator

from .document import Document


class InputFingerprint:
    """SHA-256 of the input documents as a set: each document's provenance and input (its text or
    page, or the record's bytes when the reader left it undecoded, a JSON line) hashed, and the
    hashes added modulo 2**256 (a multiset hash), so the same documents read in another order
    give the same fingerprint, in constant memory; fingerprints of parts of the input add up
    (`add`) to the whole's."""

    MODULUS = 1 << 256

    def __init__(self, total: int = 0, documents: int = 0, bytes: int = 0):
        self.total, self.documents, self.bytes = total, documents, bytes

    def watch(self, docs: Iterable[Document]) -> Iterator[Document]:
        for doc in docs:
            if doc.row is not None:
                data = doc.row.data
            else:
                data = (doc.raw or doc.html or "").encode("utf-8", "surrogatepass")
            one = hashlib.sha256(doc.provenance.encode("utf-8", "surrogatepass") + b"\0")
            one.update(hashlib.sha256(data).digest())
            self.total = (self.total + int.from_bytes(one.digest(), "big")) % self.MODULUS
            self.documents += 1
            self.bytes += len(data)
            yield doc

    def add(self, part: "InputFingerprint") -> None:
        self.total = (self.total + part.total) % self.MODULUS
        self.documents += part.documents
        self.bytes += part.bytes

    def hexdigest(self) -> str:
        return self.total.to_bytes(32, "big").hex()

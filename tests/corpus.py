"""A corpus of real Documents without a model, for the build-at-speed tests.

The hand-checked parse in fixtures/meets_apposition.conllu is varied (other
names and places in the same PROPN/NER slots) and read with
kg.parse.from_conllu, so the rule and RDF stages see genuine parses.
FixtureParser then stands in for kg.parse.parse_many: it hands back the
Document of each text it knows.  It lives in a module of its own so that Dask
workers can import it (tests/ is on the sys.path they inherit).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from kg.cache import ParseCache, model_identity
from kg.inputs import InputDocument
from kg.parse import from_conllu
from kg.types import Document

FIXTURE = Path(__file__).parent / "fixtures" / "meets_apposition.conllu"
_FIRST = ["Mario", "Giulia", "Luca", "Anna", "Paolo", "Sara", "Marco", "Elena"]
_LAST = ["Rossi", "Bianchi", "Verdi", "Neri", "Ferrari", "Russo", "Gallo", "Conti", "Costa", "Greco"]
_CITIES = ["Roma", "Milano", "Napoli", "Torino", "Bari", "Genova", "Firenze"]


def _sentence(n: int) -> str:
    """The fixture sentence with the n-th combination of names and city."""
    forms = {"Emmanuel": _FIRST[n % len(_FIRST)], "Macron": f"{_LAST[n % len(_LAST)]}{n}",
             "Parigi": _CITIES[n % len(_CITIES)], "Mark": _FIRST[(n + 3) % len(_FIRST)],
             "Rutte": f"{_LAST[(n + 7) % len(_LAST)]}{n % 13}"}
    rows = []
    for line in FIXTURE.read_text(encoding="utf-8").strip().splitlines():
        cols = line.split("\t")
        if len(cols) == 10 and cols[1] in forms:
            cols[1] = cols[2] = forms[cols[1]]
        rows.append("\t".join(cols) if len(cols) == 10 else line)
    return "\n".join(rows)


def documents(count: int, start: int = 0) -> list[Document]:
    """``count`` two-sentence documents, doc-<start> onwards; document n and
    n+1 share a person, so entities merge across documents."""
    return [from_conllu(_sentence(n) + "\n\n" + _sentence(n + 1) + "\n", doc_id=f"doc-{n}")
            for n in range(start, start + count)]


def inputs(docs: Iterable[Document], date: dt.date | None = None) -> list[InputDocument]:
    return [InputDocument(id=d.id, text=d.text, source=f"{d.id}.txt", date=date) for d in docs]


def cached_folder(directory: Path, docs: Sequence[Document]) -> tuple[Path, Path]:
    """(a folder of the documents as .txt files, a parse cache holding them
    for the default models), so that `kg build` runs without any model."""
    folder, cache_dir = directory / "articles", directory / "cache"
    folder.mkdir(parents=True)
    parse_cache = ParseCache(cache_dir, model_identity(None))
    for doc in docs:
        (folder / f"{doc.id}.txt").write_text(doc.text, encoding="utf-8")
        assert parse_cache.put(doc)
    return folder, cache_dir


class FixtureParser:
    """parse_many for the texts of ``docs``: each item gets its Document with
    the id and date asked for.  ``items`` counts the documents it parsed."""

    def __init__(self, docs: Iterable[Document]):
        self.by_text = {d.text: d for d in docs}
        self.items = 0

    def __call__(self, items: Sequence[tuple[str, str, dt.date | None]], models: str | None = None) -> list[Document]:
        self.items += len(items)
        return [replace(self.by_text[text], id=doc_id, date=date) for doc_id, text, date in items]

"""The pipeline: text -> parse -> mentions -> rules -> Extraction -> RDF.

``kg.build(text)`` is the library entry point the CLI wraps; ``extract``
runs the stages after parsing, so tests and the parse cache can feed it
Documents built from CoNLL-U.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

from kg import mentions, parse, rules
from kg.types import PERSON, Document, Entity, Extraction, Fact


def extract(documents: Sequence[Document], rule_files: Iterable[Path] = (),
            min_confidence: float = 0.0) -> Extraction:
    """Entities and facts of parsed documents, merged across documents."""
    ruleset = rules.load_rules(tuple(rule_files))
    entities: list[Entity] = []
    facts: list[Fact] = []
    annotated_docs = []
    for doc in documents:
        annotated = mentions.annotate(doc)
        annotated_docs.append(annotated.document)
        doc_facts, new_entities = rules.apply(annotated, ruleset)
        entities += list(annotated.entities) + new_entities
        facts += [f for f in doc_facts if f.confidence >= min_confidence]
    merged, rename = merge_entities(entities)
    facts = [replace(f, subject=rename.get(f.subject, f.subject),
                     object=f.object if f.is_literal else rename.get(f.object, f.object)) for f in facts]
    return Extraction(documents=tuple(annotated_docs), entities=tuple(merged), facts=tuple(facts))


def merge_entities(entities: Iterable[Entity]) -> tuple[list[Entity], dict[str, str]]:
    """One entity per key across documents; a surname-only person joins the
    one full name that ends with it (two candidates: kept apart)."""
    by_key: dict[str, Entity] = {}
    for e in entities:
        if e.key in by_key:
            old = by_key[e.key]
            alts = tuple(dict.fromkeys(old.alt_labels + (e.label,) + e.alt_labels))
            by_key[e.key] = replace(old, alt_labels=tuple(a for a in alts if a != old.label),
                                    mentions=old.mentions + e.mentions)
        else:
            by_key[e.key] = e
    rename: dict[str, str] = {}
    people = [e for e in by_key.values() if e.type == PERSON]
    for e in people:
        tokens = e.key.split("/", 1)[1].split()
        if len(tokens) != 1:
            continue
        fuller = [p for p in people if p.key != e.key and p.key.split("/", 1)[1].split()[-1:] == tokens
                  and len(p.key.split()) > 1]
        if len(fuller) == 1:
            target = fuller[0]
            rename[e.key] = target.key
            alts = tuple(dict.fromkeys(target.alt_labels + (e.label,) + e.alt_labels))
            by_key[target.key] = replace(by_key[target.key], alt_labels=tuple(a for a in alts if a != target.label),
                                         mentions=by_key[target.key].mentions + e.mentions)
            del by_key[e.key]
    return list(by_key.values()), rename


def build(text: str, *, doc_id: str = "doc", date: dt.date | None = None, models: str | None = None,
          rule_files: Iterable[Path] = (), base: str | None = None, min_confidence: float = 0.0):
    """Italian text -> rdflib graph of its entities and facts, with provenance."""
    from kg import rdf

    document = parse.parse(text, doc_id=doc_id, date=date, models=models)
    extraction = extract([document], rule_files=rule_files, min_confidence=min_confidence)
    return rdf.to_graph(extraction, **({"base": base} if base else {}))


@dataclass
class BuildResult:
    documents: int = 0
    sentences: int = 0
    entities: int = 0
    facts: int = 0
    written: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conforms: bool = True
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.documents} documents, {self.sentences} sentences, {self.entities} entities, "
                f"{self.facts} facts, {len(self.errors)} errors in {self.seconds:.1f} s")


PARSE_BATCH = 16


def parse_documents(inputs: Sequence, date: dt.date | None, models: str | None,
                    progress: bool = False) -> tuple[list[Document], list[str]]:
    """Parse in batches through one pipeline; a batch that fails is retried
    document by document so one bad text costs only itself."""
    from tqdm import tqdm

    parsed: list[Document] = []
    errors: list[str] = []
    bar = tqdm(total=len(inputs), unit="doc", disable=not progress, desc="parsing")
    for start in range(0, len(inputs), PARSE_BATCH):
        batch = inputs[start:start + PARSE_BATCH]
        items = [(d.id, d.text, d.date or date) for d in batch]
        try:
            parsed += parse.parse_many(items, models=models)
        except parse.ModelsNotFound:
            raise
        except Exception:
            for doc, item in zip(batch, items):
                try:
                    parsed += parse.parse_many([item], models=models)
                except Exception as exc:  # Stanza raises assorted errors on pathological text
                    errors.append(f"{doc.source}: cannot parse ({type(exc).__name__}: {exc})")
        bar.update(len(batch))
    bar.close()
    return parsed, errors


def build_corpus(inputs: Sequence, *, output: Path, name: str, formats: Sequence[str] = ("ttl", "html"),
                 date: dt.date | None = None, models: str | None = None, rule_files: Iterable[Path] = (),
                 base: str | None = None, min_confidence: float = 0.0, lang: str = "it",
                 validate: bool = True, progress: bool = False) -> BuildResult:
    """Parse, extract and write one graph for many input documents
    (kg.inputs.InputDocument), in every requested format."""
    from kg import rdf, render

    started = time.time()
    result = BuildResult()
    documents, result.errors = parse_documents(inputs, date, models, progress)
    extraction = extract(documents, rule_files=rule_files, min_confidence=min_confidence)
    result.documents = len(documents)
    result.sentences = sum(len(d.sentences) for d in documents)
    result.entities, result.facts = len(extraction.entities), len(extraction.facts)
    options = {"base": base} if base else {}
    graph = rdf.to_graph(extraction, **options)
    output.mkdir(parents=True, exist_ok=True)
    for fmt in formats:
        path = output / f"{name}.{fmt}"
        if fmt in rdf.FORMATS:
            rdf.serialize(rdf.to_dataset(extraction, **options) if fmt == "trig" else graph, path, fmt)
        elif fmt == "graphml":
            render.write_graphml(graph, path, lang=lang)
        else:
            render.render_html(graph, path, lang=lang, title=name)
        result.written.append(path)
    if validate:
        result.conforms, _ = rdf.validate(graph)
    result.seconds = time.time() - started
    return result

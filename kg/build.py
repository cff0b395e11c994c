"""The pipeline: text -> parse -> mentions -> rules -> Extraction -> RDF.

``kg.build(text)`` is the library entry point the CLI wraps; ``extract``
runs the stages after parsing, so tests and the parse cache can feed it
Documents built from CoNLL-U.
"""
from __future__ import annotations

import datetime as dt
import functools
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, NamedTuple, Sequence

from kg import mentions, parse, rules
from kg.types import PERSON, PROPOSAL, Document, Entity, Extraction, Fact

if TYPE_CHECKING:
    from distributed import Client

    from kg.cache import ParseCache
    from kg.inputs import InputDocument
    from kg.store import DocumentStore


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
    # "il programma", "la proposta" are nodes only where something is said of them
    in_facts = {f.subject for f in facts} | {f.object for f in facts if not f.is_literal}
    merged = [e for e in merged if e.type != PROPOSAL or e.key in in_facts]
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
    cached: int = 0             # documents that came from the parse cache
    written: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    conforms: bool = True
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)  # parse, extract, rdf, write, store, validate

    def summary(self) -> str:
        cached = f" ({self.cached} from the parse cache)" if self.cached else ""
        return (f"{self.documents} documents{cached}, {self.sentences} sentences, {self.entities} entities, "
                f"{self.facts} facts, {len(self.errors)} errors in {self.seconds:.1f} s")


# Documents per parse_many call: large enough for Stanza to batch sentences
# well, small enough to spread over workers and to lose little to a bad text.
PARSE_BATCH = 16

Item = tuple[str, str, dt.date | None]          # (document id, text, date), as parse_many takes them
Parser = Callable[..., Sequence[Document]]      # called as parser(items, models=models), like parse_many


class Parsed(NamedTuple):
    documents: list[Document]   # in input order, failures left out
    errors: list[str]           # one line per document that could not be parsed
    cached: int                 # how many documents came from the cache


def parse_batch(items: Sequence[Item], models: str | None, parser: Parser = parse.parse_many) -> list[Document | str]:
    """Parse a batch in one call; should it fail, each document alone, so one
    bad text costs only itself.  A document that cannot be parsed comes back
    as the reason.  Module-level, so that Dask workers can run it."""
    try:
        return list(parser(items, models=models))
    except parse.ModelsNotFound:
        raise
    except Exception:
        results: list[Document | str] = []
        for item in items:
            try:
                results += parser([item], models=models)
            except parse.ModelsNotFound:
                raise
            except Exception as exc:  # Stanza raises assorted errors on pathological text
                results.append(f"cannot parse ({type(exc).__name__}: {exc})")
        return results


def parse_documents(inputs: Sequence[InputDocument], date: dt.date | None, models: str | None,
                    progress: bool = False, *, parser: Parser = parse.parse_many,
                    cache: ParseCache | None = None, client: Client | None = None) -> Parsed:
    """Parse input documents in batches of PARSE_BATCH: documents found in
    ``cache`` are taken from it, the others parsed here or, with a Dask
    ``client``, on its workers, and stored in the cache as they arrive.

    ``parser`` stands in for kg.parse.parse_many (tests give Documents read
    from CoNLL-U); on a cluster it must be picklable by reference.
    """
    from tqdm import tqdm

    items = [(d.id, d.text, d.date or date) for d in inputs]
    slots: list[Document | str | None] = [cache.get(*item) if cache is not None else None for item in items]
    todo = [i for i, slot in enumerate(slots) if slot is None]
    cached = len(items) - len(todo)
    batches = [todo[k:k + PARSE_BATCH] for k in range(0, len(todo), PARSE_BATCH)]
    batch_items = [[items[i] for i in batch] for batch in batches]
    if client is None:
        results = ((n, parse_batch(b, models, parser)) for n, b in enumerate(batch_items))
    else:
        from kg import distributed
        results = distributed.map_unordered(client, parse_batch, batch_items, models, parser)
    with tqdm(total=len(items), initial=cached, unit="doc", desc="parsing", disable=not progress,
              file=sys.stderr, dynamic_ncols=True) as bar:
        for n, batch_results in results:
            for i, result in zip(batches[n], batch_results):
                slots[i] = result
                if cache is not None and isinstance(result, Document):
                    cache.put(result)
            bar.update(len(batches[n]))
    documents = [slot for slot in slots if isinstance(slot, Document)]
    errors = [f"{doc.source}: {slot}" for doc, slot in zip(inputs, slots) if isinstance(slot, str)]
    return Parsed(documents, errors, cached)


def build_corpus(inputs: Sequence[InputDocument], *, output: Path, name: str,
                 formats: Sequence[str] = ("ttl", "html"), date: dt.date | None = None,
                 models: str | None = None, rule_files: Iterable[Path] = (), base: str | None = None,
                 min_confidence: float = 0.0, lang: str = "it", validate: bool = True,
                 progress: bool = False, parser: Parser = parse.parse_many, cache: ParseCache | None = None,
                 client: Client | None = None, document_store: DocumentStore | None = None) -> BuildResult:
    """Parse, extract and write one graph for many input documents, in every
    requested format; each output is rewritten whole, whatever the cache
    spared.  The build's documents also replace their earlier versions in
    ``document_store``.  ``parser``, ``cache`` and ``client`` are as for
    parse_documents."""
    from kg import rdf, render, store

    started = time.time()
    result = BuildResult()
    timed = functools.partial(_timed, result.stage_seconds)
    with timed("parse"):
        documents, result.errors, result.cached = parse_documents(
            inputs, date, models, progress, parser=parser, cache=cache, client=client)
    with timed("extract"):
        extraction = extract(documents, rule_files=rule_files, min_confidence=min_confidence)
    result.documents = len(documents)
    result.sentences = sum(len(d.sentences) for d in documents)
    result.entities, result.facts = len(extraction.entities), len(extraction.facts)
    options = {"base": base} if base else {}
    with timed("rdf"):
        graph = rdf.to_graph(extraction, **options)
        dataset = rdf.to_dataset(extraction, **options) if "trig" in formats or document_store is not None else None
    output.mkdir(parents=True, exist_ok=True)
    with timed("write"):
        for fmt in formats:
            path = output / f"{name}.{fmt}"
            if fmt in rdf.FORMATS:
                store.write_graph(dataset if fmt == "trig" else graph, path, fmt)
            elif fmt == "graphml":
                render.write_graphml(graph, path, lang=lang)
            else:
                render.render_html(graph, path, lang=lang, title=name)
            result.written.append(path)
    if document_store is not None:
        with timed("store"):
            document_store.replace_documents(dataset)
    if validate:
        with timed("validate"):
            result.conforms, _ = rdf.validate(graph)
    result.seconds = time.time() - started
    return result


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    """Adds the block's wall time to seconds[stage]."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - started

"""Synthetic kg extractions of a chosen size, for the benchmarks that need
no parsing model (serialization, HTML).  The shape mimics news: entities of
the four classes, facts between random pairs, each fact from one of many
documents, so every fact brings its reified kg:Assertion (13 triples)."""
from __future__ import annotations

import random

from kg.types import EVENT, ORGANIZATION, PERSON, PLACE, Document, Entity, Extraction, Fact, Provenance

_TYPES = (PERSON, PERSON, ORGANIZATION, PLACE, EVENT)
_RELATIONS = ("meets", "memberOf", "locatedIn", "participatesIn", "supports", "visits")
_SENTENCE = "Il presidente della regione ha incontrato il sindaco a Roma per discutere del bilancio."


def extraction(entities: int, facts: int, seed: int = 0) -> Extraction:
    rng = random.Random(seed)
    docs = tuple(Document(f"doc-{i}", _SENTENCE, ()) for i in range(max(1, facts // 10)))
    people = [Entity(f"{t.lower()}/entita {i}", t, f"Entità {i}", (f"E. {i}",))
              for i, t in ((i, _TYPES[i % len(_TYPES)]) for i in range(entities))]
    found = []
    for n in range(facts):
        subject, obj = rng.sample(people, 2)
        start = rng.randrange(0, len(_SENTENCE) - 20)
        provenance = Provenance(docs[n % len(docs)].id, 0, start, start + 20, "bench@1", _SENTENCE)
        found.append(Fact(subject.key, _RELATIONS[n % len(_RELATIONS)], obj.key, provenance,
                          confidence=rng.choice((0.7, 0.85, 1.0))))
    return Extraction(documents=docs, entities=tuple(people), facts=tuple(found))

"""The parse cache: hits and misses, what invalidates an entry, damaged and
half-written entries, and incremental builds that parse only new texts."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import RDF, Graph

import corpus
from kg import cache, parse
from kg.build import build_corpus, parse_documents
from kg.cache import ParseCache
from kg.vocab import KG

COMPACT_TOKENIZER = parse.compact_dir() / "tokenizer.pt"
DAY = dt.date(2024, 3, 5)


@pytest.fixture
def store(tmp_path: Path) -> ParseCache:
    return ParseCache(tmp_path / "cache", model_id="model-a")


def test_put_then_get_returns_the_same_document_under_the_id_asked_for(store: ParseCache):
    doc = corpus.documents(1)[0]
    assert store.get(doc.id, doc.text, None) is None
    assert store.put(doc)
    assert store.get(doc.id, doc.text, None) == doc
    renamed = store.get("renamed.txt", doc.text, None)
    assert renamed.id == "renamed.txt" and renamed.sentences == doc.sentences


def test_another_text_date_or_model_misses(store: ParseCache):
    doc = corpus.documents(1, start=4)[0]
    dated = corpus.FixtureParser([doc])([(doc.id, doc.text, DAY)])[0]
    store.put(dated)
    assert store.get(doc.id, doc.text, DAY) == dated
    assert store.get(doc.id, doc.text + " ", DAY) is None
    assert store.get(doc.id, doc.text, None) is None
    assert store.get(doc.id, doc.text, DAY + dt.timedelta(days=1)) is None
    assert ParseCache(store.directory, model_id="model-b").get(doc.id, doc.text, DAY) is None


def _fake_models(directory: Path, payload: bytes = b"weights") -> Path:
    directory.mkdir(parents=True)
    for name in (*parse.MODEL_FILES.values(), parse.PRETRAIN_FILE):
        (directory / name).write_bytes(name.encode() + payload)
    return directory


def test_model_identity_follows_the_model_files_not_their_folder(tmp_path: Path):
    models = _fake_models(tmp_path / "a")
    copy = tmp_path / "b"
    shutil.copytree(models, copy)
    assert cache.model_identity(str(models)) == cache.model_identity(str(copy))
    # retrained weights of the same size: only the content differs
    (copy / "parser.pt").write_bytes(b"parser.pt" + b"WEIGHTS")
    assert cache.model_identity(str(models)) != cache.model_identity(str(copy))


def test_compact_official_and_a_folder_are_distinct_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(tmp_path / "stanza"))
    _fake_models(tmp_path / "stanza" / "it")
    folder = _fake_models(tmp_path / "folder")
    identities = {cache.model_identity(None), cache.model_identity("official"), cache.model_identity(str(folder))}
    assert len(identities) == 3
    assert cache.model_identity("compact") == cache.model_identity(None)


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],                     # truncated
    lambda data: data.replace(b'"PROPN"', b'"NOUN"', 1),      # edited
    lambda data: b"\xff\xfe" + data,                         # not UTF-8
    lambda data: b"",                                        # empty
])
def test_a_damaged_entry_is_a_miss_and_is_parsed_and_rewritten(store: ParseCache, damage):
    docs = corpus.documents(3)
    store.put(docs[1])
    entry = store.path(docs[1].text, None)
    entry.write_bytes(damage(entry.read_bytes()))
    assert store.get(docs[1].id, docs[1].text, None) is None
    parser = corpus.FixtureParser(docs)
    parsed = parse_documents(corpus.inputs(docs), None, None, parser=parser, cache=store)
    assert parsed.documents == docs and parsed.cached == 0 and parser.items == 3
    assert store.get(docs[1].id, docs[1].text, None) == docs[1]


def test_a_failed_write_leaves_the_old_entry_and_no_temporary_file(store: ParseCache,
                                                                    monkeypatch: pytest.MonkeyPatch):
    doc = corpus.documents(1)[0]
    store.put(doc)
    entry = store.path(doc.text, None)
    before = entry.read_bytes()

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.put(doc)
    monkeypatch.undo()
    assert entry.read_bytes() == before
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]


def test_a_document_an_entry_cannot_carry_is_not_cached(store: ParseCache):
    doc = corpus.documents(1)[0]
    first = doc.sentences[0]
    word = replace(first.words[0], lemma="lone \ud800 surrogate")
    unencodable = replace(doc, sentences=(replace(first, words=(word, *first.words[1:])),))
    assert not store.put(unencodable)
    assert not store.put(replace(doc, place="Roma"))
    assert store.get(doc.id, doc.text, None) is None


def test_tabs_and_newlines_in_words_are_cached_exactly(store: ParseCache):
    doc = corpus.documents(1)[0]
    first = doc.sentences[0]
    word = replace(first.words[0], lemma="tab\there", feats="new\nline")
    odd = replace(doc, sentences=(replace(first, words=(word, *first.words[1:])),))
    assert store.put(odd)
    assert store.get(doc.id, doc.text, None) == odd


def test_adding_ten_articles_to_a_thousand_parses_only_the_ten(store: ParseCache):
    old, new = corpus.documents(1000), corpus.documents(10, start=1000)
    parser = corpus.FixtureParser(old + new)
    first = parse_documents(corpus.inputs(old), None, None, parser=parser, cache=store)
    assert (len(first.documents), first.cached, parser.items) == (1000, 0, 1000)
    parser.items = 0
    second = parse_documents(corpus.inputs(old + new), None, None, parser=parser, cache=store)
    assert (second.cached, parser.items) == (1000, 10)
    assert second.documents == old + new


def test_an_incremental_build_rewrites_every_output_whole(tmp_path: Path, store: ParseCache):
    old, new = corpus.documents(12), corpus.documents(3, start=12)
    parser = corpus.FixtureParser(old + new)
    options = {"name": "graph", "formats": ("ttl", "trig"), "validate": False, "parser": parser}
    build_corpus(corpus.inputs(old), output=tmp_path / "out", cache=store, **options)
    parser.items = 0
    result = build_corpus(corpus.inputs(old + new), output=tmp_path / "out", cache=store, **options)
    assert (result.cached, parser.items, result.documents) == (12, 3, 15)
    assert "(12 from the parse cache)" in result.summary()
    build_corpus(corpus.inputs(old + new), output=tmp_path / "fresh", **options)
    incremental = Graph().parse(tmp_path / "out" / "graph.ttl")
    assert len(set(incremental.subjects(RDF.type, KG.Document))) == 15
    assert set(incremental) == set(Graph().parse(tmp_path / "fresh" / "graph.ttl"))
    assert (tmp_path / "out" / "graph.trig").read_bytes() == (tmp_path / "fresh" / "graph.trig").read_bytes()


def test_kg_build_of_a_cached_folder_loads_no_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch):
    from kg.cli import main

    folder, cache_dir = corpus.cached_folder(tmp_path, corpus.documents(5))
    monkeypatch.setattr(parse, "load_pipeline", None)       # any parse would fail loudly
    code = main(["build", str(folder), "-o", str(tmp_path / "out"), "--cache", str(cache_dir),
                 "--format", "ttl", "--no-validate", "--progress"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "5 documents (5 from the parse cache)" in out
    assert "parsing: 100%" in err and "5/5" in err                   # --progress draws the bar off a terminal


@pytest.mark.models
@pytest.mark.skipif(not COMPACT_TOKENIZER.is_file(), reason="compact models not in kg/models/compact yet")
def test_a_real_stanza_parse_round_trips_through_the_cache(store: ParseCache):
    text = "Il presidente Sergio Mattarella ha incontrato a Roma il segretario della Nato, Mark Rutte."
    doc = parse.parse(text, doc_id="ansa", date=DAY)
    real = ParseCache(store.directory, cache.model_identity(None))
    assert real.put(doc)
    assert real.get("ansa", text, DAY) == doc


@pytest.mark.models
@pytest.mark.skipif(not COMPACT_TOKENIZER.is_file(), reason="compact models not in kg/models/compact yet")
def test_kg_build_reuses_the_cache_on_the_second_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from kg.cli import main

    article = tmp_path / "articolo.txt"
    article.write_text("Il presidente Sergio Mattarella ha incontrato a Roma il segretario della Nato, "
                       "Mark Rutte.", encoding="utf-8")
    args = ["build", str(article), "-o", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"),
            "--format", "ttl", "--no-validate"]
    assert main(args) == 0
    assert "from the parse cache" not in capsys.readouterr().out
    assert main(args) == 0
    assert "(1 from the parse cache)" in capsys.readouterr().out

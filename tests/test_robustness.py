"""The whole command against hostile input: bad files, mixed batches,
resource bounds, interrupted writes and hostile names.

Nothing here needs the Stanza models except the tests marked ``models``:
the command-line failures tested happen before parsing, and builds that get
past it run the real kg.parse.parse_many over a stand-in Stanza pipeline
(FakeStanza) that answers the fixture sentence with its CoNLL-U parse.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import os
import re
import time
from pathlib import Path
from typing import Any, Callable

import pyoxigraph
import pytest
from rdflib import RDFS, Graph, Literal
from rdflib.compare import isomorphic

from kg import parse, rdf, render
from kg.build import extract
from kg.cli import main
from kg.types import EVENT, ORGANIZATION, PERSON, PLACE, Document, Entity, Extraction, Fact, Provenance, Sentence, Word
from kg.vocab import DEFAULT_BASE, KG

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"
MEETS_CONLLU = (FIXTURES / "meets_apposition.conllu").read_text(encoding="utf-8")
MEETS_DOC = parse.from_conllu(MEETS_CONLLU, "meets")
MEETS = MEETS_DOC.text
PARSE_FAILS = "PARSE-FAILS"     # the stand-in parser raises on a text holding this
ITALIAN = "Il presidente della Repubblica è arrivato ieri a Roma, dove ha incontrato il sindaco della città."

needs_models = pytest.mark.skipif(not (parse.compact_dir() / "tokenizer.pt").is_file(),
                                  reason="the compact models are not in kg/models/compact")


# --------------------------------------------------------------------------
# helpers

class FakeStanza:
    """Enough of stanza.Pipeline for the real kg.parse.parse_many.  The
    fixture sentence MEETS comes back as its CoNLL-U parse; a text holding
    PARSE_FAILS raises, as Stanza does on pathological text; any other text
    gets words that are runs of letters or single symbols, sentences ending
    at . ! ?, "della" as a multi-word token and, as in Stanza, a token longer
    than max_seqlen written <UNK>."""

    max_seqlen = 40
    processors: dict[str, Any] = {}  # no lemmatizer whose dictionary kg could read

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def bulk_process(self, docs: list[Any]) -> list[Any]:
        from stanza.models.common.doc import Document as StanzaDocument

        self.calls.append([d.text for d in docs])
        if any(PARSE_FAILS in d.text for d in docs):
            raise RuntimeError("the stand-in parser fails on request")
        return [StanzaDocument(stanza_rows(MEETS_DOC) if d.text == MEETS else self._rows(d.text), text=d.text)
                for d in docs]

    def _rows(self, text: str) -> list[list[dict[str, Any]]]:
        sentences: list[list[dict[str, Any]]] = []
        rows: list[dict[str, Any]] = []
        number = 0
        for m in re.finditer(r"\w+|[^\w\s]", text):
            form = m.group() if len(m.group()) <= self.max_seqlen else "<UNK>"
            span = {"text": form, "start_char": m.start(), "end_char": m.end()}
            if form.lower() == "della":
                rows += [dict(span, id=(number + 1, number + 2)),
                         {"id": number + 1, "text": "di"}, {"id": number + 2, "text": "la"}]
                number += 2
            else:
                number += 1
                rows.append(dict(span, id=number))
            if form in (".", "!", "?"):
                sentences.append(rows)
                rows, number = [], 0
        return sentences + ([rows] if rows else [])


def stanza_rows(doc: Document) -> list[list[dict[str, Any]]]:
    """A kg Document as the token and word entries stanza's Document takes."""
    sentences = []
    for sentence in doc.sentences:
        rows: list[dict[str, Any]] = []
        spans: dict[tuple[int, int], list[Word]] = {}
        for word in sentence.words:
            spans.setdefault((word.start_char, word.end_char), []).append(word)
        for (start, end), words in spans.items():
            entries = [{"id": w.id, "text": w.text, "lemma": w.lemma, "upos": w.upos, "head": w.head,
                        "deprel": w.deprel, "feats": None if w.feats == "_" else w.feats} for w in words]
            token = {"start_char": start, "end_char": end, "ner": words[0].ner}
            if len(words) == 1:
                rows.append(dict(entries[0], **token))
            else:
                rows += [dict(token, id=(words[0].id, words[-1].id), text=doc.text[start:end]), *entries]
        sentences.append(rows)
    return sentences


@pytest.fixture
def stand_in_parser(monkeypatch: pytest.MonkeyPatch) -> FakeStanza:
    fake = FakeStanza()
    monkeypatch.setattr(parse, "load_pipeline", lambda models=None: fake)
    return fake


def kg(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, list[str], list[str]]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def assert_reported(stderr: list[str], error: str) -> None:
    """The error is on stderr exactly once, as one line, and nothing there
    is a traceback."""
    assert not [line for line in stderr if line.startswith(("Traceback", "  File "))], stderr
    assert stderr.count(f"kg: error: {error}") == 1, stderr


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def ten_megabytes(tmp_path: Path) -> Path:
    path = tmp_path / "dieci.txt"
    line = (ITALIAN + "\n").encode()
    path.write_bytes(line * (10_000_000 // len(line) + 1))
    return path


# --------------------------------------------------------------------------
# 1. bad input: exit 2, one line naming the file, no output at all

BAD_INPUTS: list[tuple[str, Callable[[Path], Path], str]] = [
    ("missing", lambda tmp: tmp / "assente.txt", "no such file"),
    ("no texts", lambda tmp: (tmp / "vuota").mkdir() or (tmp / "vuota" / "note.md").touch()
     or tmp / "vuota", "directory has no .txt or .jsonl files"),
    ("empty", lambda tmp: BAD / "empty.txt", "empty file"),
    ("whitespace", lambda tmp: BAD / "whitespace.txt", "no text, only whitespace"),
    ("bom only", lambda tmp: BAD / "bom_only.txt", "no text (empty or only whitespace)"),
    ("binary", lambda tmp: BAD / "binary.bin", "binary file, not text"),
    ("invalid utf-8", lambda tmp: BAD / "not_text.txt", "not UTF-8 and not Latin-1/CP1252 text"),
    ("html, no text", lambda tmp: BAD / "script_only.html", "HTML with no text in it"),
    ("10 MB", ten_megabytes, "more than 2.0 MiB, the limit per document; split it"),
]


@pytest.mark.parametrize("make, problem", [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_a_bad_input_exits_2_naming_file_and_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     stand_in_parser: FakeStanza, make: Callable[[Path], Path],
                                                     problem: str) -> None:
    source = make(tmp_path)
    out = tmp_path / "out"
    code, stdout, stderr = kg(capsys, "build", source, "-o", out, "--no-cache")
    assert code == 2
    assert_reported(stderr, f"{source}: {problem}")
    assert stdout == [] and not out.exists()


def test_a_single_bad_input_is_reported_in_exactly_one_line(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = kg(capsys, "build", BAD / "empty.txt", "-o", tmp_path / "out", "--no-cache")
    assert code == 2 and stderr == [f"kg: error: {BAD / 'empty.txt'}: empty file"]


@pytest.mark.parametrize("output", ["file/out", "file"])
def test_an_output_folder_that_cannot_be_made_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     stand_in_parser: FakeStanza, output: str) -> None:
    # root ignores permission bits, so the folder is made impossible instead:
    # a regular file stands where it, or its parent, should be
    (tmp_path / "file").write_text("già qui", encoding="utf-8")
    good = tmp_path / "buono.txt"
    good.write_text(MEETS, encoding="utf-8")
    code, stdout, stderr = kg(capsys, "build", good, "-o", tmp_path / output, "--no-cache")
    assert code == 2 and stdout == []
    reason = "Not a directory" if "/" in output else "File exists"
    assert stderr == [f"kg: error: {tmp_path / output}: cannot create output folder ({reason})"]
    assert listing(tmp_path) == {"buono.txt": MEETS.encode(), "file": "già qui".encode()}


@pytest.mark.parametrize("name, warning", [
    ("latin1.txt", "not valid UTF-8, decoded as CP1252 (Latin-1)"),
    ("page.html", "HTML input, tags stripped"),
    ("english.txt", "does not look like Italian (reads like English); kg's models and rules are for Italian"),
    ("utf16.txt", None),
    ("bom_crlf.txt", None),
])
def test_repairable_input_builds_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                stand_in_parser: FakeStanza, name: str, warning: str | None) -> None:
    out = tmp_path / "out"
    code, _, stderr = kg(capsys, "build", BAD / name, "-o", out, "--no-validate", "--no-cache")
    assert code == 0
    assert stderr == ([f"kg: warning: {BAD / name}: {warning}"] if warning else [])
    stem = Path(name).stem
    assert sorted(listing(out)) == [f"{stem}.html", f"{stem}.ttl"]
    graph = Graph().parse(out / f"{stem}.ttl", format="turtle")
    text = str(graph.value(None, KG.text))
    assert "\r" not in text and "\ufeff" not in text and "<" not in text


# --------------------------------------------------------------------------
# 2. batches: bad documents are reported and skipped, the rest is written

def test_a_batch_writes_the_good_documents_and_lists_the_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            stand_in_parser: FakeStanza) -> None:
    good, crash = tmp_path / "buono.txt", tmp_path / "crash.txt"
    good.write_text(MEETS + "\n", encoding="utf-8")
    crash.write_text(f"Il testo {PARSE_FAILS} rompe il parser.", encoding="utf-8")
    jsonl = BAD / "mixed.jsonl"
    out = tmp_path / "out"
    code, stdout, stderr = kg(capsys, "build", good, BAD / "empty.txt", BAD / "binary.bin", crash, jsonl,
                              "-o", out, "--no-cache")
    assert code == 1
    failures = [f"{BAD / 'empty.txt'}: empty file", f"{BAD / 'binary.bin'}: binary file, not text",
                f"{jsonl}:2: not valid JSON (Expecting ',' delimiter)",
                f"{jsonl}:3: a JSONL line needs an object with a string 'text'",
                f"{jsonl}:4: a JSONL line needs an object with a string 'text'",
                f"{jsonl}:5: bad date '5 marzo 2024' (expected YYYY-MM-DD)",
                f"{jsonl}:6: bad date 20240305 (expected YYYY-MM-DD)",
                f"{jsonl}:7: no text (empty or only whitespace)",
                f"{crash}: cannot parse (RuntimeError: the stand-in parser fails on request)"]
    for failure in failures:
        assert_reported(stderr, failure)
    assert [line for line in stderr if re.fullmatch(rf"{len(failures)} document\(s\) failed:?", line)]
    assert stdout[0].startswith("3 documents, ") and stdout[1:] == [f"wrote {out / 'graph.ttl'}",
                                                                   f"wrote {out / 'graph.html'}"]
    graph = Graph().parse(out / "graph.ttl", format="turtle")
    assert {str(o) for o in graph.objects(None, RDFS.label)} >= {"Emmanuel Macron", "Mark Rutte", "buono-1"}
    assert sorted(listing(out)) == ["graph.html", "graph.ttl"]


def test_a_batch_with_nothing_readable_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      stand_in_parser: FakeStanza) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = kg(capsys, "build", BAD / "empty.txt", BAD / "binary.bin", "-o", out, "--no-cache")
    assert code == 2 and stdout == [] and not out.exists()
    assert_reported(stderr, f"{BAD / 'empty.txt'}: empty file")
    assert_reported(stderr, f"{BAD / 'binary.bin'}: binary file, not text")


# --------------------------------------------------------------------------
# 3. resource bounds: segmentation before Stanza

def test_paragraphs_are_segments() -> None:
    text = "  Primo paragrafo.\nStessa riga.\n \t\nSecondo.\n\n\n\u00a0Terzo  \n"
    assert [text[s:e] for s, e in parse.segment(text)] == ["Primo paragrafo.\nStessa riga.", "Secondo.", "Terzo"]
    assert parse.segment("") == parse.segment(" \n\n \t") == []


def test_a_headline_line_is_a_segment_of_its_own() -> None:
    headline = "Beppe Marotta dice addio alla Juventus\nGiuseppe Marotta ha annunciato il divorzio."
    assert [headline[s:e] for s, e in parse.segment(headline)] == [
        "Beppe Marotta dice addio alla Juventus", "Giuseppe Marotta ha annunciato il divorzio."]
    # a first line that ends a sentence, or runs on in lower case, is no headline
    for text in ("Frase finita.\nAltra riga.", "una riga spezzata\nche continua qui."):
        assert [text[s:e] for s, e in parse.segment(text)] == [text]


def test_heading_and_list_lines_are_segments_when_lines_break_between_sentences() -> None:
    text = ("Gli ospiti della serata\nTra gli sportivi, Marco Neri, allenatore del Siena\n"
            "Luca Bianchi, presidente del Siena\nPaolo Verdi ha detto che sarà presente.")
    assert [text[s:e] for s, e in parse.segment(text)] == [
        "Gli ospiti della serata", "Tra gli sportivi, Marco Neri, allenatore del Siena",
        "Luca Bianchi, presidente del Siena", "Paolo Verdi ha detto che sarà presente."]
    # hard-wrapped prose breaks lines inside sentences, also before a name: no cut there
    wrapped = ("Il ministro ha detto che la riforma passerà entro la fine\ndell'anno, ma il segretario "
               "Mario\nRossi ha risposto che non ci sono i numeri per\nfarlo in tempo.")
    assert [wrapped[s:e] for s, e in parse.segment(wrapped)] == [wrapped]


def _token_dicts(text: str, sentences: list[list[str]]) -> list[list[dict[str, Any]]]:
    out, at = [], 0
    for words in sentences:
        rows = []
        for number, word in enumerate(words, start=1):
            at = text.index(word, at)
            rows.append({"id": number, "text": word, "start_char": at, "end_char": at + len(word)})
            at += len(word)
        out.append(rows)
    return out


def test_sentence_ends_are_repaired_before_parsing() -> None:
    text = "Il premier Nouri Al Maliki parla. Poi L'on. Rossi ride"
    stanza_split = _token_dicts(text, [["Il", "premier", "Nouri"], ["Al", "Maliki", "parla", ".", "Poi", "L'",
                                                                   "on", ".", "Rossi", "ride"]])
    repaired = parse._resegmented(stanza_split, text)
    assert [[t["text"] for t in s] for s in repaired] == [
        ["Il", "premier", "Nouri", "Al", "Maliki", "parla", "."], ["Poi", "L'", "on", ".", "Rossi", "ride"]]
    assert [[t["id"] for t in s] for s in repaired] == [list(range(1, 8)), list(range(1, 7))]
    # nor at a comma, nor at the initial inside a person's name
    listed = "Erano presenti Kevin Costner (attore), Mary J. Blige, Elton John."
    split = _token_dicts(listed, [["Erano", "presenti", "Kevin", "Costner", "(", "attore", ")", ","],
                                  ["Mary", "J", "."], ["Blige", ",", "Elton", "John", "."]])
    for token, tag in zip(split[1], ("B-PER", "E-PER", "O")):
        token["ner"] = tag
    assert [len(s) for s in parse._resegmented(split, listed)] == [16]
    titled = "C'era l'on. Giulia Rodano, con il dott. Rossi."
    split = _token_dicts(titled, [["C'", "era", "l'", "on", "."], ["Giulia", "Rodano", ",", "con", "il", "dott."],
                                  ["Rossi", "."]])
    assert [len(s) for s in parse._resegmented(split, titled)] == [13]
    saint = "È morta a St. Petersburg."
    assert [len(s) for s in parse._resegmented(
        _token_dicts(saint, [["È", "morta", "a", "St."], ["Petersburg", "."]]), saint)] == [6]
    one_token = "Parla Rowan D. Williams, arcivescovo."
    split = _token_dicts(one_token, [["Parla", "Rowan", "D."], ["Williams", ",", "arcivescovo", "."]])
    split[0][2]["ner"] = "I-PER"
    assert [len(s) for s in parse._resegmented(split, one_token)] == [7]
    # a bracket closed before a lower-case word closes an aside, not the sentence
    aside = "La legge (due articoli) è passata. (Fonte: ANSA) Il voto è finito."
    split = _token_dicts(aside, [["La", "legge", "(", "due", "articoli", ")"], ["è", "passata", "."],
                                 ["(", "Fonte", ":", "ANSA", ")"], ["Il", "voto", "è", "finito", "."]])
    assert [len(s) for s in parse._resegmented(split, aside)] == [9, 5, 5]
    # and so does one closed before a name ("(Fonte: ANSA) Il voto" stays apart: no name)
    coded = "Il sindaco di Osimo (AN) Paolo Riva ha parlato."
    split = _token_dicts(coded, [["Il", "sindaco", "di", "Osimo", "(", "AN", ")"],
                                 ["Paolo", "Riva", "ha", "parlato", "."]])
    split[1][0]["ner"], split[1][1]["ner"] = "B-PER", "E-PER"
    assert [len(s) for s in parse._resegmented(split, coded)] == [12]
    # a full stop after an initial that is no name's ends the sentence ("la serie A.")
    league = "Gioca in serie A. Il Milan vince."
    assert [len(s) for s in parse._resegmented(
        _token_dicts(league, [["Gioca", "in", "serie", "A", "."], ["Il", "Milan", "vince", "."]]), league)] == [5, 4]
    # a sentence that ends on a word at the end of a line (a headline) stays apart
    headline = "Titolo\nCorpo del testo."
    assert parse._resegmented(_token_dicts(headline, [["Titolo"], ["Corpo", "del", "testo", "."]]), headline) == \
        _token_dicts(headline, [["Titolo"], ["Corpo", "del", "testo", "."]])


def test_long_stretches_are_cut_at_sentence_ends_then_whitespace_then_anywhere() -> None:
    punctuated = "Uno due. Tre quattro! «Cinque sei?» Sette otto nove dieci"
    assert [punctuated[s:e] for s, e in parse.segment(punctuated, 20)] == [
        "Uno due.", "Tre quattro!", "«Cinque sei?»", "Sette otto nove", "dieci"]
    unpunctuated = "parola " * 10
    assert [unpunctuated[s:e] for s, e in parse.segment(unpunctuated, 14)] == ["parola parola"] * 5
    word = "x" * 25 + "e\u0301" + "y" * 3
    assert [word[s:e] for s, e in parse.segment(word, 26)] == ["x" * 25, "e\u0301yyy"]


def test_segmenting_megabytes_without_punctuation_is_fast_and_bounded() -> None:
    text = ("parola " * 150_000 + "\n\n" + "z" * 100_000) * 2
    started = time.perf_counter()
    spans = parse.segment(text)
    assert time.perf_counter() - started < 10      # linear: some hundredths of a second
    assert max(e - s for s, e in spans) <= parse.MAX_SEGMENT_CHARS
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "").replace("\n", "")


def assert_exact_offsets(doc: Document) -> None:
    assert [s.index for s in doc.sentences] == list(range(len(doc.sentences)))
    for sentence in doc.sentences:
        assert sentence.text == doc.text[sentence.start_char:sentence.end_char]
        spans: dict[tuple[int, int], list[Word]] = {}
        for word in sentence.words:
            spans.setdefault((word.start_char, word.end_char), []).append(word)
        for (start, end), words in spans.items():
            if len(words) == 1:
                assert words[0].text == doc.text[start:end], words[0]
            else:   # the parts of a multi-word token share the token's surface
                assert doc.text[start:end] and doc.text[start:end] == doc.text[start:end].strip(), words


def test_parse_many_parses_every_segment_in_one_batch_with_exact_offsets(
        monkeypatch: pytest.MonkeyPatch, stand_in_parser: FakeStanza) -> None:
    fake = stand_in_parser
    monkeypatch.setattr(parse, "MAX_SEGMENT_CHARS", 60)
    texts = {"a": "Il sindaco della città è qui. Poi parte.\n\nSecondo paragrafo della nota!",
             "b": "  ",
             "c": "parola " * 30 + "x" * 70 + " fine della riga",
             "d": ITALIAN}
    docs = parse.parse_many([(k, v, dt.date(2024, 1, 2)) for k, v in texts.items()])
    assert len(fake.calls) == 1 and all(len(piece) <= 60 for piece in fake.calls[0])
    assert len(fake.calls[0]) == sum(len(parse.segment(t, 60)) for t in texts.values())
    assert [(d.id, d.text, d.date) for d in docs] == [(k, v, dt.date(2024, 1, 2)) for k, v in texts.items()]
    for doc in docs:
        assert_exact_offsets(doc)
    assert [s.text for s in docs[0].sentences] == ["Il sindaco della città è qui.", "Poi parte.",
                                                  "Secondo paragrafo della nota!"]
    assert [w.text for w in docs[0].sentences[0].words][2:4] == ["di", "la"]
    assert docs[1].sentences == ()
    assert "x" * 60 in [w.text for s in docs[2].sentences for w in s.words]    # not <UNK>
    assert parse.parse_many([]) == []


@pytest.mark.models
@needs_models
def test_real_parse_keeps_offsets_exact() -> None:
    text = ("«Il presidente della Repubblica», ha detto ieri l'ambasciatore 🇮🇹, \"è arrivato\".\n\n"
            "Il sindaco dell'Aquila ha incontrato nel pomeriggio il ministro.   Poi\tè partito.\n"
            + "z" * 1500 + " fine.\n\n\n" + "parola " * 1200)
    doc = parse.parse(text, doc_id="offsets")
    assert doc.text == text and len(doc.sentences) >= 4
    assert_exact_offsets(doc)
    assert max(s.end_char - s.start_char for s in doc.sentences) <= parse.MAX_SEGMENT_CHARS


@pytest.mark.parametrize("text, read", [
    ("il termine 'Creative Commons' (o 'CCPL').", 'il termine "Creative Commons" (o "CCPL").'),
    ("'Ciao' disse, e un po' dopo 'l'accordo' arrivò.", '"Ciao" disse, e un po\' dopo "l\'accordo" arrivò.'),
    ("L'Italia e l'Europa, un po' di tempo.", "L'Italia e l'Europa, un po' di tempo."),
    ("Il presidente Bashar al-Asad e il gruppo al-Shabaab.", "Il presidente Bashar Al-Asad e il gruppo Al-Shabaab."),
    # letters Italian does not write are read as their base letter; Italian accents and ł stay
    ("Vladimir Vladimirovič Putin, Primož Roglič, Wałęsa: perché è così.",
     "Vladimir Vladimirovic Putin, Primoz Roglic, Wałesa: perché è così."),
])
def test_the_tokenizer_reads_quotes_and_names_changed_in_place(text: str, read: str) -> None:
    assert parse.tokenizer_text(text) == read


def test_a_name_with_foreign_letters_is_one_word_written_as_it_is() -> None:
    doc = parse.parse("Il primo ministro Vladimir Vladimirovič Putin e il ciclista Primož Roglič.")
    words = [w.text for s in doc.sentences for w in s.words]
    assert "Vladimirovič" in words and "Primož" in words and "Roglič" in words
    assert_exact_offsets(doc)


def test_contraction_marks_are_taken_back_from_tokens_that_cannot_be_contractions(tmp_path: Path) -> None:
    import torch

    (tmp_path / "single.txt").write_text("diversi\nesperti\n", encoding="utf-8")
    torch.save({"dict": {"del": "di il", "darsi": "dar si"}}, tmp_path / "mwt.pt")
    check = parse.ContractionCheck(tmp_path / "single.txt", tmp_path / "mwt.pt")
    sentence = [("Recarsi", True), ("del", True), ("diversi", True), ("Giancarlo", True), ("olandesi", True),
                ("definendolo", True), ("darsi", True), ("AC", True), "e", "Alessandro", ("Del", True), "Piero"]
    assert check([sentence]) == [[("Recarsi", True), ("del", True), "diversi", "Giancarlo", "olandesi",
                                  ("definendolo", True), ("darsi", True), "AC", "e", "Alessandro", "Del", "Piero"]]
    assert check([[("Del", True), "resto"], ["Ma", ("Del", True)]]) == [[("Del", True), "resto"], ["Ma", ("Del", True)]]


def test_a_preposition_with_an_article_left_whole_by_the_tokenizer_is_marked(tmp_path: Path) -> None:
    import torch

    (tmp_path / "single.txt").write_text("\n", encoding="utf-8")
    torch.save({"dict": {"negli": "in gli", "coi": "con i", "dalla": "da la"}}, tmp_path / "mwt.pt")
    check = parse.ContractionCheck(tmp_path / "single.txt", tmp_path / "mwt.pt")
    assert check([["Negli", "Stati", "Uniti", "coi", "colleghi", "di", "Lucio", "Dalla"]]) == [
        [("Negli", True), "Stati", "Uniti", ("coi", True), "colleghi", "di", "Lucio", "Dalla"]]


def test_a_quotation_mark_left_on_a_word_is_split_off(tmp_path: Path) -> None:
    import torch

    (tmp_path / "single.txt").write_text("\n", encoding="utf-8")
    torch.save({"dict": {}}, tmp_path / "mwt.pt")
    check = parse.ContractionCheck(tmp_path / "single.txt", tmp_path / "mwt.pt")
    assert check([["«Il", "governo", "durerà", "legislatura»", ".", "«", '"sì"', "l'"]]) == [
        ["«", "Il", "governo", "durerà", "legislatura", "»", ".", "«", '"', "sì", '"', "l'"]]


@pytest.mark.models
@needs_models
def test_a_quotation_mark_left_on_a_word_keeps_the_text_offsets() -> None:
    doc = parse.parse("Draghi al Senato: «Il governo durerà fino alla fine della legislatura».", doc_id="citazione")
    assert_exact_offsets(doc)
    assert "legislatura" in [w.text for s in doc.sentences for w in s.words]


@pytest.mark.models
@needs_models
def test_names_with_the_arabic_article_and_single_quotes_are_read_as_written() -> None:
    text = "Il presidente Bashar al-Asad ha incontrato Abu Bakr al-Baghdadi. Siamo andati al mare 'da soli'."
    doc = parse.parse(text, doc_id="nomi")
    assert_exact_offsets(doc)
    first, second = doc.sentences
    assert [w.text for w in first.words][2:4] == ["Bashar", "al-"]
    assert {w.ner[2:] for w in first.words[2:5]} == {"PER"}
    assert [w.text for w in second.words][2:] == ["a", "il", "mare", "'", "da", "soli", "'", "."]


@pytest.mark.models
@needs_models
def test_a_100000_character_line_without_punctuation_parses_in_bounded_pieces() -> None:
    words = ITALIAN.replace(",", "").replace(".", "").split()
    line = " ".join(words[i % len(words)] for i in range(20_000))[:100_000]
    doc = parse.parse(line, doc_id="riga")
    assert doc.text == line
    assert_exact_offsets(doc)
    assert max(s.end_char - s.start_char for s in doc.sentences) <= parse.MAX_SEGMENT_CHARS
    assert sum(len(s.words) for s in doc.sentences) >= len(line.split())


@pytest.mark.models
@needs_models
def test_a_real_batch_skips_bad_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "buono.txt"
    good.write_text(MEETS, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, stderr = kg(capsys, "build", good, BAD / "binary.bin", BAD / "latin1.txt", "-o", out, "--no-cache")
    assert code == 1
    assert_reported(stderr, f"{BAD / 'binary.bin'}: binary file, not text")
    assert stdout[0].startswith("2 documents, ")
    assert sorted(listing(out)) == ["graph.html", "graph.ttl"]


# --------------------------------------------------------------------------
# 4. atomic outputs

def sample_graph() -> Graph:
    return rdf.to_graph(extract([parse.from_conllu(MEETS_CONLLU, "meets")]))


@pytest.mark.parametrize("write", [lambda g, p: rdf.serialize(g, p, "ttl"), lambda g, p: render.render_html(g, p)],
                         ids=["turtle", "html"])
def test_a_write_that_fails_at_the_end_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              write: Callable[[Graph, Path], Path]) -> None:
    path = tmp_path / "graph.out"
    write(Graph(), path)
    before = listing(tmp_path)

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write(sample_graph(), path)
    assert listing(tmp_path) == before      # old content, and no temporary file


def test_an_interrupted_build_leaves_the_previous_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          stand_in_parser: FakeStanza) -> None:
    good = tmp_path / "buono.txt"
    good.write_text(MEETS, encoding="utf-8")
    out = tmp_path / "out"
    assert kg(capsys, "build", good, "-o", out, "--no-validate", "--no-cache")[0] == 0
    before = listing(out)
    good.write_text(MEETS + "\n\nUn altro paragrafo cambia il grafo.", encoding="utf-8")

    def interrupt(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupt)
    code, _, stderr = kg(capsys, "build", good, "-o", out, "--no-validate", "--no-cache")
    assert code == 130 and stderr == ["kg: interrupted; earlier outputs are left as they were"]
    assert listing(out) == before


def test_a_failed_write_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch, stand_in_parser: FakeStanza) -> None:
    good = tmp_path / "buono.txt"
    good.write_text(MEETS, encoding="utf-8")

    def disk_full(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    code, _, stderr = kg(capsys, "build", good, "-o", tmp_path / "out", "--no-validate", "--no-cache")
    assert code == 2 and len(stderr) == 1 and "No space left on device" in stderr[0]


# --------------------------------------------------------------------------
# 5. hostile names: safe IRIs, labels kept, every format reads back

HOSTILE = ['Il "Presidente"', "<Quirinale>", "Roma 🇮🇹🏛️", "Citta\u0300", "lone \ud800 half",
           "riga\nnuova", "tab\tqui", "100% sicuro", "#hashtag", "%41", "A", "a/b", "..",
           "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', '"href"']


def hostile_extraction() -> Extraction:
    text = " ".join(HOSTILE)
    doc = Document("doc <\"#%\n>", text, (Sentence(0, text, 0, len(text), ()),), dt.date(2024, 3, 5))
    types = (PERSON, ORGANIZATION, PLACE, EVENT)
    entities = tuple(Entity(name, types[i % 4], name, (name + " alt",)) for i, name in enumerate(HOSTILE))
    facts = tuple(Fact(a, "meets", b, Provenance(doc.id, 0, 0, len(text), f"rule-{i}@1", text + a))
                  for i, (a, b) in enumerate(zip(HOSTILE, HOSTILE[1:])) if types[i % 4] == PERSON)
    facts += tuple(Fact(name, "title", name, Provenance(doc.id, 0, 0, 1, "title@1", name), "string")
                   for name in HOSTILE[:3])
    return Extraction((doc,), entities, facts)


def test_hostile_names_get_valid_distinct_stable_iris_and_keep_their_labels() -> None:
    graph = rdf.to_graph(hostile_extraction())
    iris = {name: rdf.mint_iri(DEFAULT_BASE, name) for name in HOSTILE}
    for name, iri in iris.items():
        pyoxigraph.NamedNode(str(iri))
        assert str(iri).startswith(DEFAULT_BASE) and re.fullmatch(r"[A-Za-z0-9_~%-]+", str(iri)[len(DEFAULT_BASE):])
        label = name.replace("\ud800", "\ufffd")     # the one thing no RDF syntax can carry
        assert graph.value(iri, RDFS.label) == Literal(label)
    assert len(set(iris.values())) == len(HOSTILE) and iris["%41"] != iris["A"]
    # "Citta" + combining grave is canonically "Città": one resource
    assert iris["Citta\u0300"] == rdf.mint_iri(DEFAULT_BASE, "Citt\u00e0")
    assert isomorphic(rdf.to_graph(hostile_extraction()), graph)
    assert str(iris["100% sicuro"]) == DEFAULT_BASE + "100%25%20sicuro"


def test_duplicate_hostile_keys_are_refused_not_merged() -> None:
    extraction = hostile_extraction()
    twins = dataclasses.replace(extraction, entities=extraction.entities + (Entity("A", PERSON, "altro"),))
    with pytest.raises(ValueError, match="two entities share the key 'A'"):
        rdf.to_graph(twins)


def test_keys_that_mint_the_same_iri_are_refused() -> None:
    twins = (Entity("Citta\u0300", PLACE, "Citta\u0300"), Entity("Citt\u00e0", PLACE, "Citt\u00e0"))
    with pytest.raises(ValueError):
        rdf.to_graph(Extraction((), twins, ()))


@pytest.mark.parametrize("fmt", sorted(rdf.FORMATS))
def test_hostile_names_survive_every_format(tmp_path: Path, fmt: str) -> None:
    extraction = hostile_extraction()
    graph = rdf.to_dataset(extraction) if fmt == "trig" else rdf.to_graph(extraction)
    path = rdf.serialize(graph, tmp_path / f"hostile.{fmt}", fmt)
    back = rdf.parse_back(path, fmt)
    assert isomorphic(rdf.union(back), rdf.union(graph))
    if fmt in ("ttl", "nt", "trig"):
        oxi_format = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES,
                      "trig": pyoxigraph.RdfFormat.TRIG}[fmt]
        assert len(list(pyoxigraph.parse(path=str(path), format=oxi_format))) == len(list(back.quads()) if fmt == "trig" else back)


def test_hostile_names_reach_the_view_only_as_escaped_data(tmp_path: Path) -> None:
    page = render.render_html(rdf.to_graph(hostile_extraction()), tmp_path / "view.html").read_text(encoding="utf-8")
    for name in HOSTILE:
        if "<" in name:
            assert name not in page, name
    data = json.loads(re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S)[1])
    assert {n["label"] for n in data["nodes"]} == {name.replace("\ud800", "\ufffd") for name in HOSTILE}


def test_ago_is_an_adverb_of_its_time_noun_and_the_clause_keeps_its_verb() -> None:
    # the compact tagger reads "fa" as the verb fare, and the parser hung the clause on it
    sentence = parse.parse("Due giorni fa il presidente Mario Neri ha incontrato a Roma il premier Luca Rossi.").sentences[0]
    ago = next(w for w in sentence.words if w.text == "fa")
    assert (ago.upos, ago.deprel, sentence.word(ago.head).text) == ("ADV", "advmod", "giorni")
    assert next(w for w in sentence.words if w.deprel == "root").text == "incontrato"


def test_this_morning_is_an_adverb_and_the_clause_keeps_its_verb() -> None:
    # the compact tagger reads "stamani" as a verb ("stamare") and the parser hung the object on it
    sentence = parse.parse("Il sindaco Carlo Neri ha inaugurato stamani la scuola di via Roma.").sentences[0]
    morning = next(w for w in sentence.words if w.text == "stamani")
    assert (morning.upos, morning.lemma, sentence.word(morning.head).text) == ("ADV", "stamani", "inaugurato")
    assert sentence.word(next(w for w in sentence.words if w.text == "scuola").head).text == "inaugurato"


def test_present_with_essere_is_the_adjective() -> None:
    # the compact tagger reads "presenti" after "saranno" as a form of presentare
    sentence = parse.parse("Saranno presenti anche il sindaco Carlo Neri e il prefetto.").sentences[0]
    present = next(w for w in sentence.words if w.text == "presenti")
    assert (present.upos, present.lemma) == ("ADJ", "presente")


def test_a_weekday_is_a_day_and_tenere_is_no_auxiliary() -> None:
    # the compact tagger read "si terrà sabato" as an auxiliary and a participle of "sabare"
    sentence = parse.parse("La finale si terrà sabato 10 luglio 2027 a Torino.").sentences[0]
    held = next(w for w in sentence.words if w.text == "terrà")
    day = next(w for w in sentence.words if w.text == "sabato")
    assert (held.upos, held.deprel) == ("VERB", "root")
    assert (day.upos, day.lemma) == ("NOUN", "sabato")
    assert sentence.word(next(w for w in sentence.words if w.text == "Torino").head).text == "terrà"


def test_a_plural_read_as_a_verb_with_a_noun_lemma_is_that_noun() -> None:
    # the compact tagger read "proteste" as a verb (lemma "protesta") and made it the clause's root
    sentence = parse.parse("A Parigi, per il terzo giorno, ci sono state proteste davanti all'Eliseo.").sentences[0]
    protests = next(w for w in sentence.words if w.text == "proteste")
    assert (protests.upos, protests.lemma, protests.feat("Number")) == ("NOUN", "protesta", "Plur")
    # a singular with no article may be a verb: "la Corte ribalta" (ribaltare)
    sentence = parse.parse("La decisione della Corte suprema ribalta quanto affermato dal governo.").sentences[0]
    assert next(w for w in sentence.words if w.text == "ribalta").upos == "VERB"


def test_ad_after_an_article_is_the_chief_executive() -> None:
    # the compact tagger read "l'ad" as an article and the preposition "ad"
    sentence = parse.parse("Lo ha annunciato ieri l'ad Carlo Neri.").sentences[0]
    chief = next(w for w in sentence.words if w.text == "ad")
    assert (chief.upos, chief.lemma) == ("NOUN", "ad")


def test_a_capitalized_verb_opening_a_sentence_is_read_as_a_verb_and_keeps_its_written_form() -> None:
    # the compact tagger took "Nacque" for a name; a name the NER missed stays a name
    born, winner = parse.parse("Blake Edwards è morto a 88 anni. Nacque a Tulsa nel 1922. Irma ha vinto la finale.").sentences[1:]
    assert (born.words[0].text, born.words[0].upos, born.words[0].lemma) == ("Nacque", "VERB", "nascere")
    assert winner.words[0].upos == "PROPN"


@pytest.mark.models
@needs_models
def test_a_noun_the_treebanks_only_have_as_an_adjective_is_read_as_one() -> None:
    # the compact tagger reads "affollato" as a noun and "concerto" as its adjective
    sentence = parse.parse("Alla fine della scorsa estate, Paolo Villa ha organizzato un affollato concerto a Genova."
                           ).sentences[0]
    crowded, concert = (next(w for w in sentence.words if w.text == text) for text in ("affollato", "concerto"))
    assert (crowded.upos, concert.upos, sentence.word(concert.head).text) == ("ADJ", "NOUN", "organizzato")


def test_via_opening_a_name_the_ner_found_is_the_street() -> None:
    # the compact tagger reads "via" before a city's name as the preposition (by way of)
    sentence = parse.parse("La polizia ha perquisito una casa di via Roma a Cremona.").sentences[0]
    street = next(w for w in sentence.words if w.text == "via")
    assert (street.upos, street.ner) == ("NOUN", "B-LOC")


def test_a_verb_or_lower_case_name_the_treebanks_only_have_as_a_noun_is_one_and_a_capitalized_name_stays() -> None:
    from stanza.models.common.doc import Document as StanzaDocument

    read = [("humus", "PROPN"), ("Villa", "PROPN"), ("lancio", "VERB")]
    words = [{"id": i, "text": text, "lemma": text, "upos": upos, "xpos": "_", "head": i - 1,
              "deprel": "flat" if i > 1 else "root"} for i, (text, upos) in enumerate(read, start=1)]
    sentence = StanzaDocument([words]).sentences[0]
    classes = {"humus": "NOUN", "villa": "NOUN", "lancio": "NOUN"}
    humus, name, launch = sentence.words
    assert parse._second_tag(sentence, None, humus, classes) == ("NOUN", "S", "humus", None)
    assert parse._second_tag(sentence, humus, name, classes) is None
    assert parse._second_tag(sentence, name, launch, classes) == ("NOUN", "S", "lancio", None)


def test_part_of_speech_agrees_with_the_relation_the_parser_gave() -> None:
    from stanza.models.common.doc import Document as StanzaDocument

    def word(i, text, lemma, upos, xpos, head, deprel):
        return {"id": i, "text": text, "lemma": lemma, "upos": upos, "xpos": xpos, "head": head, "deprel": deprel}

    # "C'è una sola via": essere heads the clause
    there_is = [word(1, "C'", "ci", "PRON", "PC", 2, "expl"), word(2, "è", "essere", "AUX", "VA", 0, "root"),
                word(3, "una", "uno", "DET", "RI", 5, "det"), word(4, "sola", "solo", "ADJ", "A", 5, "amod"),
                word(5, "via", "via", "NOUN", "S", 2, "nsubj")]
    # "Lo sa ed è contento": "Lo", tagged an article, is the object; a copula tagged a verb is an auxiliary
    copula = [word(1, "Lo", "lo", "DET", "RD", 2, "obj"), word(2, "sa", "sapere", "VERB", "V", 0, "root"),
              word(3, "ed", "e", "CCONJ", "CC", 5, "cc"), word(4, "è", "essere", "VERB", "V", 5, "cop"),
              word(5, "contento", "contento", "ADJ", "A", 2, "conj")]
    doc = StanzaDocument([there_is, copula])
    parse.agree_tags_with_relations([doc])
    tags = [[(w.upos, w.xpos) for w in sentence.words] for sentence in doc.sentences]
    assert tags == [[("PRON", "PC"), ("VERB", "V"), ("DET", "RI"), ("ADJ", "A"), ("NOUN", "S")],
                    [("PRON", "PC"), ("VERB", "V"), ("CCONJ", "CC"), ("AUX", "VA"), ("ADJ", "A")]]


def test_a_verb_form_outside_the_dictionary_takes_its_lemma_by_analogy() -> None:
    forms = {"decisa": "decidere", "parlerà": "parlare", "messo": "mettere", "divide": "dividere",
             "conferma": "confermare", "promette": "promettere", "mare": "mare"}
    analogy = parse.VerbLemmas(forms, set(forms.values()))
    assert analogy.lemma("divisa") == "dividere"
    assert analogy.lemma("confermerà") == "confermare"
    assert analogy.lemma("Promesso") == "promettere"
    # no change gives an infinitive the dictionary knows: the lemmatizer's own stays
    assert analogy.lemma("atterrato") is None


@pytest.mark.models
@needs_models
def test_verbs_the_lemmatizer_never_saw_get_lemmas_of_real_verbs() -> None:
    doc = parse.parse("Il governo confermerà la misura. Il ministro ha promesso aiuti.")
    lemmas = {w.text: w.lemma for s in doc.sentences for w in s.words}
    assert lemmas["confermerà"] == "confermare"
    assert lemmas["promesso"] == "promettere"

"""kg.inputs: every kind of broken input becomes one clear line, or a
repaired text with a warning.  The files are in tests/fixtures/bad; the
large ones are generated in tmp_path."""
from __future__ import annotations

import codecs
import io
import json
from pathlib import Path

import pytest

from kg import inputs
from kg.inputs import MAX_BYTES, InputError, collect, guess_language, read_file, read_jsonl, read_text

BAD = Path(__file__).parent / "fixtures" / "bad"
GOLD = Path(__file__).parent / "gold"
ITALIAN = "Il presidente della Repubblica è arrivato ieri a Roma, dove ha incontrato il sindaco della città."


def one_line(message: str) -> str:
    assert "\n" not in message and "\r" not in message, message
    return message


@pytest.mark.parametrize("name, problem", [
    ("missing.txt", "no such file"),
    ("empty.txt", "empty file"),
    ("whitespace.txt", "no text, only whitespace"),
    ("bom_only.txt", "no text (empty or only whitespace)"),
    ("binary.bin", "binary file, not text"),
    ("not_text.txt", "not UTF-8 and not Latin-1/CP1252 text"),
    ("script_only.html", "HTML with no text in it"),
])
def test_unreadable_files_raise_one_line_naming_the_file(name: str, problem: str) -> None:
    with pytest.raises(InputError) as raised:
        read_file(BAD / name)
    assert one_line(str(raised.value)) == f"{BAD / name}: {problem}"


def test_a_directory_given_as_a_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"^{tmp_path}: is a directory$"):
        read_file(tmp_path)


def test_cp1252_is_decoded_with_a_warning() -> None:
    doc = read_file(BAD / "latin1.txt")
    assert doc.text.startswith(ITALIAN) and "5 \u20ac" in doc.text
    assert doc.warnings == (f"{BAD / 'latin1.txt'}: not valid UTF-8, decoded as CP1252 (Latin-1)",)


def test_bom_and_crlf_leave_no_trace_and_no_warning() -> None:
    doc = read_file(BAD / "bom_crlf.txt")
    assert doc.text == ITALIAN + "\n\nIl ministro è partito per Parigi.\n"
    assert doc.warnings == ()


def test_utf16_with_a_bom_is_read() -> None:
    doc = read_file(BAD / "utf16.txt")
    assert doc.text == ITALIAN + "\n" and doc.warnings == ()


def test_html_is_stripped_to_its_text_with_a_warning() -> None:
    doc = read_file(BAD / "page.html")
    assert doc.text == ("Notizia\nVertice a Roma\n" + ITALIAN + "\nIl ministro è partito per Parigi.")
    assert "alert" not in doc.text and "color" not in doc.text
    assert doc.warnings == (f"{BAD / 'page.html'}: HTML input, tags stripped",)


def test_text_that_is_not_italian_gets_a_warning() -> None:
    doc = read_file(BAD / "english.txt")
    assert doc.text.startswith("The president")
    assert doc.warnings == (f"{BAD / 'english.txt'}: does not look like Italian (reads like English); "
                            "kg's models and rules are for Italian",)


@pytest.mark.parametrize("text, language", [
    (ITALIAN, "it"),
    ("Le président de la République a rencontré hier à Paris le secrétaire général de l'OTAN.", "fr"),
    ("El presidente del Gobierno se reunió ayer en Madrid con el secretario general de la OTAN.", "es"),
    ("O presidente da República encontrou-se ontem em Lisboa com o secretário-geral da NATO.", "pt"),
    ("Der Bundeskanzler hat sich am Montag in Berlin mit dem Generalsekretär der NATO getroffen.", "de"),
    ("北京 上海 广州 深圳 天津 重庆 成都 武汉 南京 西安", "?"),
    ("Mattarella incontra Macron a Parigi", None),      # a headline: too short to tell
])
def test_language_guess(text: str, language: str | None) -> None:
    assert guess_language(text) == language


def test_no_gold_text_is_mistaken_for_another_language() -> None:
    texts = [json.loads(line)["text"] for name in ("dev.jsonl", "test.jsonl")
             for line in (GOLD / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(texts) > 50
    assert [t for t in texts if guess_language(t) not in ("it", None)] == []


def test_a_few_control_characters_are_replaced_many_are_binary() -> None:
    text, warnings = inputs.clean_text(ITALIAN * 2 + "\x0c\x1b" + ITALIAN * 2, "x.txt")
    assert text == ITALIAN * 2 + "  " + ITALIAN * 2
    assert warnings == ["x.txt: 2 control character(s) replaced with spaces"]
    with pytest.raises(InputError, match=r"^x\.txt: looks binary \(\d+ control characters\)$"):
        inputs.clean_text(ITALIAN + "\x01\x02\x03" * 10, "x.txt")


def test_text_is_composed_to_nfc() -> None:
    doc = read_text("La citta\u0300 e\u0301 qui", source="s")
    assert doc.text == "La citt\u00e0 \u00e9 qui" and doc.warnings == ()


def test_lone_surrogates_from_json_become_replacement_characters() -> None:
    doc = read_text(json.loads('"' + ITALIAN + ' \\ud800"'), source="s")
    assert doc.text == ITALIAN + " \ufffd"
    assert doc.warnings == ("s: 1 unpaired surrogate(s) replaced with U+FFFD",)


def test_a_file_over_the_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    line = (ITALIAN + "\n").encode()
    with big.open("wb") as out:     # 10 MB
        for _ in range(10_000_000 // len(line) + 1):
            out.write(line)
    with pytest.raises(InputError) as raised:
        read_file(big)
    assert one_line(str(raised.value)) == f"{big}: more than 2.0 MiB, the limit per document; split it"
    exactly = tmp_path / "exactly.txt"
    exactly.write_bytes((line * (MAX_BYTES // len(line) + 1))[:MAX_BYTES])
    assert len(read_file(exactly).text.encode()) == MAX_BYTES


def test_an_endless_stream_is_cut_at_the_limit() -> None:
    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:      # "parola " for ever
            chunk = (b"parola " * (len(buffer) // 7 + 1))[:len(buffer)]
            buffer[:len(chunk)] = chunk
            return len(chunk)

    stdin = io.TextIOWrapper(io.BufferedReader(Endless()), encoding="utf-8")
    documents, errors = collect(["-"], stdin=stdin)
    assert documents == [] and errors == ["<stdin>: more than 2.0 MiB, the limit per document; split it"]


def test_a_hundred_thousand_characters_without_punctuation_are_accepted(tmp_path: Path) -> None:
    words = ITALIAN.replace(",", "").replace(".", "").split()
    line = " ".join(words[i % len(words)] for i in range(20_000))[:100_000]
    path = tmp_path / "line.txt"
    path.write_text(line, encoding="utf-8")
    doc = read_file(path)
    assert doc.text == line and doc.warnings == ()


def test_stdin_is_decoded_like_a_file() -> None:
    stdin = io.TextIOWrapper(io.BytesIO(codecs.BOM_UTF8 + ITALIAN.encode("cp1252")), encoding="utf-8")
    documents, errors = collect(["-"], stdin=stdin)
    assert errors == [] and documents[0].text == ITALIAN and documents[0].id == "stdin"
    assert documents[0].warnings == ("<stdin>: not valid UTF-8, decoded as CP1252 (Latin-1)",)
    assert collect(["-"], stdin=io.StringIO(" \n"))[1] == ["<stdin>: no text (empty or only whitespace)"]


def test_jsonl_reports_each_bad_line_and_keeps_the_good_ones() -> None:
    path = BAD / "mixed.jsonl"
    results = list(read_jsonl(path))
    good = [r for r in results if not isinstance(r, InputError)]
    assert [(d.id, d.source) for d in good] == [("buono-1", f"{path}:1"), ("buono-2", f"{path}:9")]
    assert good[0].date is not None and good[0].date.isoformat() == "2024-03-05"
    assert [one_line(str(r)) for r in results if isinstance(r, InputError)] == [
        f"{path}:2: not valid JSON (Expecting ',' delimiter)",
        f"{path}:3: a JSONL line needs an object with a string 'text'",
        f"{path}:4: a JSONL line needs an object with a string 'text'",
        f"{path}:5: bad date '5 marzo 2024' (expected YYYY-MM-DD)",
        f"{path}:6: bad date 20240305 (expected YYYY-MM-DD)",
        f"{path}:7: no text (empty or only whitespace)",
    ]


def test_jsonl_survives_deep_nesting_bad_bytes_and_odd_ids(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    lines = [b"[" * 100_000 + b"]" * 100_000,
             json.dumps({"id": "a\nb\x00c", "text": ITALIAN}).encode(),
             json.dumps({"id": 7, "text": ITALIAN}, ensure_ascii=False).encode("cp1252"),
             json.dumps({"id": "", "text": ITALIAN}).encode()]
    path.write_bytes(b"\n".join(lines))
    results = list(read_jsonl(path))
    assert str(results[0]) == f"{path}:1: not valid JSON (nested too deeply)"
    assert [d.id for d in results[1:]] == ["a b c", "7", "odd-4"]
    assert results[2].warnings == (f"{path}:3: not valid UTF-8, decoded as CP1252 (Latin-1)",)


def test_jsonl_edge_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    assert [str(r) for r in read_jsonl(empty)] == [f"{empty}: no documents (empty file)"]
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"text": "x"}\n\x00\x01')
    assert [str(r) for r in read_jsonl(binary)] == [f"{binary}: binary file, not JSONL"]
    missing = tmp_path / "missing.jsonl"
    assert [str(r) for r in read_jsonl(missing)] == [f"{missing}: no such file"]


def test_a_line_too_long_for_any_document_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_JSONL_LINE_BYTES", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text(json.dumps({"text": "x" * 5000}) + "\n" + json.dumps({"id": "ok", "text": ITALIAN}) + "\n")
    results = list(read_jsonl(path))
    assert str(results[0]) == f"{path}:1: line longer than 0.0 MiB"
    assert results[1].id == "ok"


def test_a_jsonl_text_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    path.write_text(json.dumps({"id": "big", "text": "parola " * (MAX_BYTES // 7 + 1)}) + "\n")
    assert [str(r) for r in read_jsonl(path)] == [
        f"{path}:1: 2.0 MiB of text is over the 2.0 MiB limit per document; split it"]


def test_collect_goes_on_past_bad_files_and_names_each(tmp_path: Path) -> None:
    folder = tmp_path / "articoli"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(ITALIAN, encoding="utf-8")
    (folder / "sub" / "a.txt").write_text(ITALIAN, encoding="utf-8")
    (folder / "vuoto.txt").write_bytes(b"")
    (folder / "note.md").write_text("ignored", encoding="utf-8")
    (tmp_path / "nothing").mkdir()
    documents, errors = collect([str(folder), str(tmp_path / "nothing"), str(BAD / "binary.bin"),
                                 str(folder / "a.txt")])
    assert [d.id for d in documents] == ["a", "sub/a", "a-2"]
    assert errors == [f"{folder / 'vuoto.txt'}: empty file",
                      f"{tmp_path / 'nothing'}: directory has no .txt or .jsonl files",
                      f"{BAD / 'binary.bin'}: binary file, not text"]


def test_file_names_that_would_break_a_line_are_escaped(tmp_path: Path) -> None:
    odd = tmp_path / "due\nrighe.txt"
    odd.write_bytes(b"")
    documents, errors = collect([str(odd)])
    assert errors == [f"{tmp_path}/due\\nrighe.txt: empty file"]
    odd.write_text(ITALIAN, encoding="utf-8")
    assert collect([str(odd)])[0][0].id == "due righe"


def test_unreadable_special_files_are_errors_not_tracebacks(tmp_path: Path) -> None:
    documents, errors = collect(["/dev/zero", "/dev/null"])
    assert documents == []
    assert errors == ["/dev/zero: more than 2.0 MiB, the limit per document; split it", "/dev/null: empty file"]

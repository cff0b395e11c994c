"""Scorer logic on hand-made fixtures (no model needed), plus end-to-end runs
marked ``models`` that need the shipped compact models."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import kg.parse
import kg.scoring
from kg.parse import MODEL_FILES, PRETRAIN_FILE, compact_dir
from kg.scoring import (GoldSentence, entity_scores, evaluate_conllu, evaluable, format_ner_scores,
                        format_treebank_scores, gold_sentences, models_info, prf, read_kind_tsv,
                        rebuild_text, score_ner, score_treebank, tag_scheme, tag_spans, text_chunks)

FIXTURES = Path(__file__).parent / "fixtures"
GOLD = FIXTURES / "scoring_gold.conllu"
HAVE_MODELS = (compact_dir() / "tokenizer.pt").is_file()
requires_models = pytest.mark.skipif(not HAVE_MODELS, reason="compact models not installed: "
                                     "kg/models/compact/tokenizer.pt is absent")


# --- NER spans ----------------------------------------------------------

def test_bio_spans():
    tags = ["O", "B-ORG", "I-ORG", "O", "B-PER", "I-PER", "B-PER", "O", "B-LOC"]
    assert tag_spans(tags, "prefixed", 3) == {(3, 1, 3, "ORG"), (3, 4, 6, "PER"), (3, 6, 7, "PER"),
                                              (3, 8, 9, "LOC")}


def test_bare_spans_merge_adjacent_tokens_of_one_type():
    tags = ["LOC", "LOC", "O", "PER", "PER", "ORG", "PER"]
    assert tag_spans(tags, "bare") == {(0, 0, 2, "LOC"), (0, 3, 5, "PER"), (0, 5, 6, "ORG"),
                                       (0, 6, 7, "PER")}


def test_bioes_spans():
    tags = ["S-PER", "B-ORG", "I-ORG", "E-ORG", "S-LOC", "S-LOC", "O", "B-PER", "E-PER"]
    assert tag_spans(tags, "prefixed") == {(0, 0, 1, "PER"), (0, 1, 4, "ORG"), (0, 4, 5, "LOC"),
                                           (0, 5, 6, "LOC"), (0, 7, 9, "PER")}


def test_ill_formed_sequences_read_leniently():
    # I- after O or after another type starts an entity; E- of another type too.
    assert tag_spans(["O", "I-PER", "I-PER", "I-LOC", "E-ORG"], "prefixed") == {
        (0, 1, 3, "PER"), (0, 3, 4, "LOC"), (0, 4, 5, "ORG")}


def test_scheme_detection_and_fixtures():
    bio, bare = read_kind_tsv(FIXTURES / "ner_bio.tsv"), read_kind_tsv(FIXTURES / "ner_bare.tsv")
    assert [len(s) for s in bio] == [11, 6]
    assert tag_scheme(tag for s in bio for _, tag in s) == "prefixed"
    assert tag_scheme(tag for s in bare for _, tag in s) == "bare"
    assert tag_scheme(["O", "O"]) == "bare"
    bio_spans = set().union(*(tag_spans([t for _, t in s], "prefixed", i) for i, s in enumerate(bio)))
    bare_spans = set().union(*(tag_spans([t for _, t in s], "bare", i) for i, s in enumerate(bare)))
    first = {(0, 3, 5, "ORG"), (0, 6, 8, "PER"), (0, 9, 10, "LOC")}
    # B- splits "Roma Milano" and "Luca Bianchi Anna"; bare tags cannot.
    assert bio_spans == first | {(1, 0, 1, "LOC"), (1, 1, 2, "LOC"), (1, 3, 5, "PER"), (1, 5, 6, "PER")}
    assert bare_spans == first | {(1, 0, 2, "LOC"), (1, 3, 6, "PER")}


def test_prf_arithmetic():
    gold = {(0, 0, 2, "PER"), (0, 3, 4, "LOC"), (1, 0, 1, "LOC"), (1, 2, 5, "ORG")}
    predicted = {(0, 0, 2, "PER"), (0, 3, 4, "ORG"), (1, 0, 1, "LOC")}
    scores = entity_scores(gold, predicted)
    assert (scores["precision"], scores["recall"], scores["f1"]) == (66.67, 50.0, 57.14)
    assert scores["per_type"] == {
        "LOC": {"precision": 100.0, "recall": 50.0, "f1": 66.67, "support": 2},
        "ORG": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "PER": {"precision": 100.0, "recall": 100.0, "f1": 100.0, "support": 1},
    }
    assert prf(set(), set()) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_format_ner_scores():
    scores = {**entity_scores({(0, 0, 1, "PER")}, {(0, 0, 1, "PER")}), "file": "x.tsv", "models": "compact"}
    lines = format_ner_scores(scores).splitlines()
    assert lines[2].split() == ["PER", "100.00", "100.00", "100.00", "1"]
    assert lines[-1].split() == ["all", "100.00", "100.00", "100.00", "1"]


# --- treebank text and evaluation ----------------------------------------

def test_gold_text_rebuilt_with_paragraphs_and_spacing():
    sentences = gold_sentences(GOLD.read_text(encoding="utf-8"))
    assert [s.new_paragraph for s in sentences] == [True, False, False, True, False]
    # SpaceAfter=No at a sentence end glues the next sentence; "# text" keeps
    # its spacing; a "# text" that disagrees with the tokens is not used.
    assert rebuild_text(sentences) == ("Il presidente del Consiglio è arrivato a Roma. Mario Rossi ha parlato."
                                       "Luca vince, Anna no.\n\nDopo  la   pioggia il sole. Fine.")


def test_text_chunks_cut_only_at_sentence_boundaries():
    sentences = [GoldSentence(f"Frase {i}.", True, i == 3) for i in range(6)]
    chunks = list(text_chunks(sentences, max_chars=20))
    assert chunks == ["Frase 0. Frase 1.", "Frase 2.", "Frase 3. Frase 4.", "Frase 5."]
    assert list(text_chunks(sentences, max_chars=None)) == ["Frase 0. Frase 1. Frase 2.\n\nFrase 3. Frase 4. Frase 5."]
    # short paragraphs are packed whole
    paragraphs = [GoldSentence(text, True, True) for text in ("Uno.", "Due.", "Tre.")]
    assert list(text_chunks(paragraphs, max_chars=14)) == ["Uno.\n\nDue.", "Tre."]


def test_evaluable_strips_empty_nodes_and_enhanced_deps():
    text = evaluable(GOLD.read_text(encoding="utf-8"))
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    assert all("." not in cols[0] and cols[8] == "_" for cols in rows)
    assert text.endswith("\n\n")


def test_gold_against_itself_scores_100():
    gold = GOLD.read_text(encoding="utf-8")
    scores = evaluate_conllu(gold, gold)
    assert set(scores) >= {"tokens", "sentences", "upos", "lemmas", "uas", "las"}
    assert all(value == 100.0 for value in scores.values())


def test_wrong_head_lowers_attachment_only():
    gold = GOLD.read_text(encoding="utf-8")
    system = gold.replace("2\tRossi\tRossi\tPROPN\tSP\t_\t1\t", "2\tRossi\tRossi\tPROPN\tSP\t_\t4\t")
    scores = evaluate_conllu(gold, system)
    assert scores["tokens"] == scores["upos"] == 100.0
    assert scores["uas"] < 100.0 and scores["las"] < 100.0


def test_score_treebank_end_to_end_with_a_perfect_pipeline(monkeypatch, tmp_path):
    """Everything but the models: chunking, system CoNLL-U (with MWT lines) and evaluation."""
    from stanza.utils.conll import CoNLL

    gold = GOLD.read_text(encoding="utf-8")
    seen = []

    class Perfect:
        processors = {}  # no lemmatizer to second-guess: the gold lemmas stay

        def bulk_process(self, docs):
            seen.extend(doc.text for doc in docs)
            return [CoNLL.conll2doc(input_str=evaluable(gold)) for _ in docs]

        def process(self, docs, processors):
            """The parse stage's second readings (a lowered first word, "fa"): a perfect
            pipeline's first reading needs none, so they change nothing."""

    monkeypatch.setattr(kg.scoring, "load_pipeline", lambda models: Perfect())
    system = tmp_path / "system.conllu"
    scores = score_treebank(GOLD, models=str(tmp_path), system_path=system)
    assert seen == [rebuild_text(gold_sentences(gold))]
    assert "3-4\tdel" in system.read_text(encoding="utf-8")
    assert scores["las"] == scores["tokens"] == 100.0
    assert scores["file"] == str(GOLD) and scores["models"] == str(tmp_path)
    table = format_treebank_scores(scores).splitlines()
    assert [line.split()[0] for line in table[2:]] == ["Tokens", "Sentences", "UPOS", "Lemmas", "UAS", "LAS"]


# --- model sets never download -------------------------------------------

def fake_model_dir(tmp_path: Path) -> Path:
    for name in (*MODEL_FILES.values(), PRETRAIN_FILE):
        (tmp_path / name).write_bytes(b"x" * 2048)
    return tmp_path


@pytest.fixture
def no_network(monkeypatch):
    import stanza

    created = []

    def refuse(*args, **kwargs):
        raise AssertionError("stanza.download called")

    monkeypatch.setattr(stanza, "download", refuse)
    monkeypatch.setattr(stanza, "Pipeline", lambda **kwargs: created.append(kwargs) or object())
    return created


def test_ner_pipeline_is_download_free_and_ner_only(no_network, tmp_path):
    kg.scoring.ner_pipeline(str(fake_model_dir(tmp_path)))
    (kwargs,) = no_network
    assert kwargs["download_method"] is None and kwargs["tokenize_pretokenized"] is True
    assert kwargs["processors"] == "tokenize,ner"
    assert kwargs["ner_model_path"] == str(tmp_path / "nertagger.pt")
    assert not any(key.startswith(("mwt_", "pos_", "lemma_", "depparse_")) for key in kwargs)


def test_parse_pipeline_is_download_free(no_network, tmp_path):
    kg.parse.load_pipeline.__wrapped__(str(fake_model_dir(tmp_path)))
    (kwargs,) = no_network
    assert kwargs["download_method"] is None


def test_missing_models_raise_instead_of_downloading(no_network, monkeypatch, tmp_path):
    with pytest.raises(kg.parse.ModelsNotFound):
        kg.scoring.ner_pipeline(str(tmp_path))
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(tmp_path))
    with pytest.raises(kg.parse.ModelsNotFound):
        kg.scoring.ner_pipeline("official")
    assert no_network == []


def test_models_info_lists_files_and_card_scores(tmp_path):
    directory = fake_model_dir(tmp_path)
    (directory / "parser.pt").unlink()
    (directory / "card.json").write_text(json.dumps({"scores": {"ud": {"las": 80.0}}}))
    info = models_info(str(directory))
    assert info["kind"] == "directory" and info["path"] == str(directory)
    assert {f["name"] for f in info["files"]} == {*MODEL_FILES.values(), PRETRAIN_FILE}
    assert [f["name"] for f in info["files"] if not f["present"]] == ["parser.pt"]
    assert info["complete"] is False and info["total_mb"] == 0.0
    assert info["scores"] == {"ud": {"las": 80.0}}
    assert models_info("compact")["kind"] == "compact"


# --- with the real compact models -----------------------------------------

@pytest.mark.models
@requires_models
def test_compact_models_score_the_fixture_treebank():
    scores = score_treebank(GOLD)
    assert scores["models"] == "compact"
    assert scores["tokens"] >= 90.0
    assert all(0.0 <= scores[k] <= 100.0 for k in ("upos", "lemmas", "uas", "las"))


@pytest.mark.models
@requires_models
def test_compact_models_score_the_fixture_ner():
    scores = score_ner(FIXTURES / "ner_bio.tsv")
    assert scores["sentences"] == 2 and scores["tokens"] == 17
    assert scores["per_type"]["PER"]["recall"] > 0.0


# --- model card -----------------------------------------------------------

def test_model_card_round_trip(tmp_path):
    import torch

    from kg import modelcard

    models = tmp_path / "models"
    models.mkdir()
    torch.save({"vocab": {}, "emb": torch.zeros(3, 4)}, models / "pretrain.pt")
    torch.save({"config": {"hidden_dim": 200, "save_dir": "/tmp/x", "charlm": False}}, models / "parser.pt")
    torch.save({"config": {"hidden_dim": 200, "charlm": True}}, models / "tagger.pt")
    for direction in ("forward", "backward"):
        torch.save({"model": {"args": {"char_hidden_dim": 512, "direction": direction}, "state_dict": {}}},
                   models / f"{direction}_charlm.pt")
    logs = tmp_path / "work" / "logs"
    logs.mkdir(parents=True)
    (logs / "depparse.log").write_text("2026-01-01 10:00:00 INFO: start\nStep 1\n2026-01-01 10:50:30 INFO: end\n")
    (logs / "charlm-forward.log").write_text("2026-01-01 10:00:00 INFO: a\n2026-01-01 10:01:40 INFO: b\n")
    (logs / "charlm-backward.log").write_text("2026-01-01 10:00:00 INFO: a\n2026-01-01 10:01:45 INFO: b\n")
    ud = {"tokens": 99.1, "sentences": 97.0, "words": 99.0, "upos": 96.0, "xpos": 95.0, "ufeats": 94.0,
          "lemmas": 96.5, "uas": 85.0, "las": 81.0, "file": "t.conllu", "models": "compact"}
    ner = {**entity_scores({(0, 0, 1, "PER")}, {(0, 0, 1, "PER")}), "sentences": 1, "tokens": 1,
           "file": "t.tsv", "models": "compact"}
    card = modelcard.build_card(models, tmp_path / "no-data", tmp_path / "work", ud, ner)
    assert card["hyperparameters"]["parser.pt"] == {"hidden_dim": 200, "charlm": False}
    assert card["hyperparameters"]["forward_charlm.pt"] == {"char_hidden_dim": 512}
    assert card["training"]["stage_seconds"] == {"depparse": 3030, "charlm-forward": 100, "charlm-backward": 105}
    assert card["word_vectors"] == {"words": 3, "dimensions": 4}
    assert card["scores"]["ud"]["las"] == 81.0 and "file" not in card["scores"]["ud"]
    assert card["data"]["licenses"]["KIND evalita-2023/ADG_train.tsv"] == "CC BY-NC-SA 4.0"
    modelcard.write_card(models, card)
    assert modelcard.read_card(models) == json.loads(json.dumps(card))
    markdown = (models / "MODEL_CARD.md").read_text()
    assert "| 99.10 | 97.00 |" in markdown and "| charlm | 40 | 105 |" in markdown
    assert "tagger.pt reads the character language models trained here" in markdown
    assert models_info(str(models))["scores"]["ner"]["f1"] == 100.0


def test_malformed_treebank_is_a_one_line_error_before_any_parsing(tmp_path, capsys, monkeypatch):
    from kg.cli import main

    monkeypatch.setattr(kg.scoring, "load_pipeline", lambda *_: pytest.fail("parsed a malformed treebank"))
    cut = tmp_path / "cut.conllu"
    row = "1\tCiao\tciao\tINTJ\t_\t_\t0\troot\t_\t_\n"
    cut.write_text(f"# text = Ciao\n{row}\n\n# text = Ciao\n{row}\n", encoding="utf-8")  # a double blank line
    assert main(["models", "score", str(cut)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"kg: error: {cut}: not a valid CoNLL-U treebank") and "\n" not in err

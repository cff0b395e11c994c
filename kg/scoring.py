"""How good are the models: UD treebank and KIND NER scores, the model set in
use, and the one explicit way to fetch Stanza's official Italian models.

Treebank scores are end to end: the gold file's raw text goes through kg's own
parse pipeline (sentence splitting, tokenisation and MWT included) and the
output is scored with the CoNLL 2018 shared-task evaluator.  NER is scored on
the gold tokens, so only the NER model is measured.  Every score is F1 (or P/R)
× 100, rounded to two decimals.
"""
from __future__ import annotations

import io
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Sequence

from kg.parse import (PROCESSORS, load_pipeline, model_set_files, official_dir, pipeline_kwargs, read_texts,
                      resolve_models)

# conll18 evaluator metric name -> our key
TREEBANK_METRICS = {"tokens": "Tokens", "sentences": "Sentences", "words": "Words", "upos": "UPOS",
                    "xpos": "XPOS", "ufeats": "UFeats", "lemmas": "Lemmas", "uas": "UAS", "las": "LAS"}
# Stanza's tokenizer sees one chunk at a time; a chunk boundary inside a
# paragraph is a free sentence break, so chunks are large (the whole ISDT test
# set is one chunk) yet bounded, which keeps memory flat on big treebanks.
CHUNK_CHARS = 100_000
NER_BATCH_SENTENCES = 500
OFFICIAL_PROCESSORS = ",".join(PROCESSORS)

TEXT_RE = re.compile(r"#\s*text\s*=(.*)")
PARAGRAPH_RE = re.compile(r"#\s*(newdoc|newpar)\b")

Span = tuple[int, int, int, str]  # sentence, first token, last token + 1, type


# --- treebank text ------------------------------------------------------

@dataclass(frozen=True)
class GoldSentence:
    text: str
    space_after: bool       # False when the last token has SpaceAfter=No
    new_paragraph: bool     # a ``# newdoc`` or ``# newpar`` precedes it


def gold_sentences(conllu: str) -> list[GoldSentence]:
    """The raw text of each gold sentence.  ``# text`` is used when it holds the
    same characters as the tokens (it keeps the original spacing); otherwise the
    text is rebuilt from the tokens and SpaceAfter=No, because the evaluator
    refuses a system output whose characters differ from the gold tokens."""
    out = []
    for block in _blocks(conllu):
        comments = [line for line in block if line.startswith("#")]
        tokens = _surface_tokens(block)
        if not tokens:
            continue
        rebuilt = "".join(t.form + ("" if t.no_space else " ") for t in tokens).rstrip(" ")
        text = next((m.group(1).strip() for m in map(TEXT_RE.match, comments) if m), None)
        if text is None or _squash(text) != _squash(rebuilt):
            text = rebuilt
        new_paragraph = any(PARAGRAPH_RE.match(line) for line in comments)
        out.append(GoldSentence(text=text, space_after=not tokens[-1].no_space, new_paragraph=new_paragraph))
    return out


def rebuild_text(sentences: Sequence[GoldSentence]) -> str:
    """Paragraphs (blank-line separated, as Stanza reads them) of sentences
    joined by a space, as in the CoNLL 2018 shared task's raw text: the
    pipeline must find sentence boundaries itself, as it must in real news."""
    return "".join(text_chunks(sentences, max_chars=None))


def text_chunks(sentences: Sequence[GoldSentence], max_chars: int | None = CHUNK_CHARS) -> Iterator[str]:
    """Whole paragraphs packed into chunks of at most ``max_chars``; only a
    paragraph longer than that is cut, at gold sentence boundaries.  None
    gives one chunk."""
    limit = max_chars if max_chars is not None else math.inf
    chunk = ""
    for paragraph in _paragraphs(sentences):
        for piece in _pieces(paragraph, limit):
            if chunk and len(chunk) + 2 + len(piece) > limit:
                yield chunk
                chunk = ""
            chunk = f"{chunk}\n\n{piece}" if chunk else piece
    if chunk:
        yield chunk


def _paragraphs(sentences: Iterable[GoldSentence]) -> Iterator[list[GoldSentence]]:
    paragraph: list[GoldSentence] = []
    for sentence in sentences:
        if sentence.new_paragraph and paragraph:
            yield paragraph
            paragraph = []
        paragraph.append(sentence)
    if paragraph:
        yield paragraph


def _pieces(paragraph: list[GoldSentence], limit: float) -> Iterator[str]:
    """A paragraph's text (sentences joined as the gold spacing says), cut
    before a sentence that would take it past ``limit``."""
    piece = ""
    for previous, sentence in zip([None, *paragraph], paragraph):
        separator = " " if piece and previous.space_after else ""
        if piece and len(piece) + len(separator) + len(sentence.text) > limit:
            yield piece
            piece, separator = "", ""
        piece += separator + sentence.text
    if piece:
        yield piece


def _blocks(conllu: str) -> Iterator[list[str]]:
    block: list[str] = []
    for line in conllu.replace("\r\n", "\n").split("\n"):
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


class SurfaceToken(NamedTuple):
    form: str
    no_space: bool          # SpaceAfter=No
    multiword: bool         # an MWT line, standing for the words it covers


def surface_tokens(conllu: str) -> Iterator[list[SurfaceToken]]:
    """The surface tokens of each CoNLL-U sentence, in the order written."""
    for block in _blocks(conllu):
        yield _surface_tokens(block)


def _surface_tokens(block: list[str]) -> list[SurfaceToken]:
    """MWT lines stand for their words, empty nodes have no surface."""
    tokens = []
    covered = 0
    for line in block:
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if "." in cols[0]:
            continue
        no_space = len(cols) > 9 and "SpaceAfter=No" in cols[9].split("|")
        if "-" in cols[0]:
            covered = int(cols[0].split("-")[1])
            tokens.append(SurfaceToken(cols[1], no_space, True))
        elif int(cols[0]) > covered:
            tokens.append(SurfaceToken(cols[1], no_space, False))
    return tokens


def _squash(text: str) -> str:
    return "".join(text.split())


# --- treebank scoring ---------------------------------------------------

def evaluable(conllu: str) -> str:
    """CoNLL-U the conll18 evaluator reads on any UD release: no empty nodes,
    no enhanced dependencies (only basic trees are scored), and the closing
    blank line it insists on."""
    out = []
    for line in conllu.replace("\r\n", "\n").split("\n"):
        if line and not line.startswith("#"):
            cols = line.split("\t")
            if "." in cols[0]:
                continue
            if len(cols) == 10:
                cols[8] = "_"
            line = "\t".join(cols)
        out.append(line)
    return "\n".join(out).strip("\n") + "\n\n"


class ScoringInputError(ValueError):
    """A gold file that cannot be scored against; the message names the file."""


def check_treebank(path: str | os.PathLike, conllu: str) -> None:
    """Reject a malformed gold treebank before minutes of parsing are spent on it."""
    from udtools import udeval

    try:
        udeval.load_conllu(io.StringIO(evaluable(conllu)), "gold", {})
    except udeval.UDError as exc:
        raise ScoringInputError(f"{path}: not a valid CoNLL-U treebank ({exc})") from None


def evaluate_conllu(gold: str, system: str) -> dict[str, float]:
    """CoNLL 2018 shared-task F1 × 100 of system against gold (both CoNLL-U text)."""
    from udtools import udeval  # the CoNLL 2018 evaluator, as Stanza itself uses it

    gold_ud = udeval.load_conllu(io.StringIO(evaluable(gold)), "gold", {})
    system_ud = udeval.load_conllu(io.StringIO(evaluable(system)), "system", {})
    scores = udeval.evaluate(gold_ud, system_ud)
    return {key: round(100 * scores[name].f1, 2) for key, name in TREEBANK_METRICS.items()}


def score_treebank(conllu_path: str | os.PathLike, models: str | os.PathLike | None = None,
                   system_path: str | os.PathLike | None = None,
                   chunk_chars: int = CHUNK_CHARS) -> dict:
    """End-to-end scores of a model set on a gold UD file.  The system CoNLL-U
    is written to ``system_path`` when given (for error analysis), else to a
    temporary file."""
    gold = Path(conllu_path).read_text(encoding="utf-8")
    check_treebank(conllu_path, gold)
    pipeline = load_pipeline(None if models is None else str(models))
    with tempfile.TemporaryDirectory() as tmp:
        system_file = Path(system_path) if system_path else Path(tmp) / "system.conllu"
        with system_file.open("w", encoding="utf-8") as out:
            for doc in read_texts(pipeline, list(text_chunks(gold_sentences(gold), chunk_chars))):
                out.write("{:C}".format(doc).strip("\n") + "\n\n")
        scores = evaluate_conllu(gold, system_file.read_text(encoding="utf-8"))
    return {**scores, "file": str(conllu_path), "models": _models_label(models)}


# --- NER ----------------------------------------------------------------

def read_kind_tsv(path: str | os.PathLike) -> list[list[tuple[str, str]]]:
    """Sentences of (token, tag) from a KIND file: ``token<TAB>tag``, blank
    line between sentences."""
    sentences, current = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        token, _, tag = line.partition("\t")
        current.append((token, tag.strip() or "O"))
    if current:
        sentences.append(current)
    return sentences


def is_prefixed(tag: str) -> bool:
    return len(tag) > 2 and tag[1] == "-" and tag[0] in "BIES"


def tag_scheme(tags: Iterable[str]) -> str:
    """'prefixed' (BIO or BIOES) or 'bare' (``PER``: adjacent tokens of one
    type are one entity).  KIND files use one scheme throughout."""
    return "prefixed" if any(is_prefixed(tag) for tag in tags) else "bare"


def tag_spans(tags: Sequence[str], scheme: str, sentence: int = 0) -> set[Span]:
    """Entity spans of one sentence's tags.  Ill-formed prefixed sequences are
    read leniently, as conlleval does: I-/E- not continuing an entity of the
    same type starts one."""
    spans: set[Span] = set()
    start, kind = None, None
    for i, tag in enumerate((*tags, "O")):
        if tag == "O":
            prefix, label = "O", None
        elif scheme == "bare":
            prefix, label = ("I" if tag == kind else "B"), tag
        else:
            prefix, label = (tag[0], tag[2:]) if is_prefixed(tag) else ("B", tag)
        continues = prefix in ("I", "E") and label == kind and start is not None
        if start is not None and not continues:
            spans.add((sentence, start, i, kind))
            start, kind = None, None
        if label is not None and not continues:
            start, kind = i, label
        if prefix in ("E", "S") and start is not None:
            spans.add((sentence, start, i + 1, kind))
            start, kind = None, None
    return spans


def prf(gold: set, predicted: set) -> dict[str, float]:
    correct = len(gold & predicted)
    precision = correct / len(predicted) if predicted else 0.0
    recall = correct / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(100 * precision, 2), "recall": round(100 * recall, 2),
            "f1": round(100 * f1, 2)}


def entity_scores(gold: set[Span], predicted: set[Span]) -> dict:
    """Exact span+type match, micro-averaged overall and per type."""
    per_type = {}
    for kind in sorted({span[3] for span in gold | predicted}):
        g = {s for s in gold if s[3] == kind}
        p = {s for s in predicted if s[3] == kind}
        per_type[kind] = {**prf(g, p), "support": len(g)}
    return {**prf(gold, predicted), "per_type": per_type}


def ner_pipeline(models: str | os.PathLike | None = None):
    """Stanza's NER alone over given tokens, with the model set's own files.
    MWT is left out: NER labels surface tokens, and the gold tokens are final."""
    import stanza

    kept = ("tokenize", "ner")
    other = tuple(f"{p}_" for p in PROCESSORS if p not in kept)
    kwargs = {k: v for k, v in pipeline_kwargs(models).items() if not k.startswith(other)}
    kwargs["processors"] = ",".join(kept)
    return stanza.Pipeline(download_method=None, use_gpu=False, logging_level="WARN",
                           tokenize_pretokenized=True, **kwargs)


def score_ner(tsv_path: str | os.PathLike, models: str | os.PathLike | None = None) -> dict:
    """Entity-level precision/recall/F1 of the NER model on a KIND file."""
    sentences = read_kind_tsv(tsv_path)
    scheme = tag_scheme(tag for sentence in sentences for _, tag in sentence)
    pipeline = ner_pipeline(models)
    gold: set[Span] = set()
    predicted: set[Span] = set()
    for first in range(0, len(sentences), NER_BATCH_SENTENCES):
        batch = sentences[first:first + NER_BATCH_SENTENCES]
        doc = pipeline([[token for token, _ in sentence] for sentence in batch])
        for index, (sentence, parsed) in enumerate(zip(batch, doc.sentences), start=first):
            gold |= tag_spans([tag for _, tag in sentence], scheme, index)
            predicted |= tag_spans([token.ner or "O" for token in parsed.tokens], "prefixed", index)
    return {**entity_scores(gold, predicted), "sentences": len(sentences),
            "tokens": sum(len(s) for s in sentences), "file": str(tsv_path), "models": _models_label(models)}


# --- model sets ---------------------------------------------------------

def _models_label(models: str | os.PathLike | None) -> str:
    kind, path = resolve_models(models)
    return kind if kind != "directory" else str(path)


def models_info(models: str | os.PathLike | None = None) -> dict:
    """Which model set ``models`` names, its files and sizes, and the scores
    its card reports (compact and directory sets carry card.json)."""
    from kg.modelcard import read_card

    kind, path = resolve_models(models)
    if kind == "official":
        found = sorted((path / "it").rglob("*.pt")) if (path / "it").is_dir() else []
        files = [{"name": str(p.relative_to(path)), "processor": p.parent.name, "mb": _mb(p), "present": True}
                 for p in found]
    else:
        files = [{"name": name, "processor": processor, "mb": _mb(path / name) if (path / name).is_file() else 0.0,
                  "present": (path / name).is_file()} for name, processor in model_set_files(path).items()]
    card = read_card(path) if kind != "official" else None
    return {"kind": kind, "path": str(path), "files": files,
            "total_mb": round(sum(f["mb"] for f in files), 1),
            "complete": bool(files) and all(f["present"] for f in files),
            "scores": card.get("scores") if card else None}


def _mb(path: Path) -> float:
    return round(path.stat().st_size / 2**20, 1)


def download_official(target: str | os.PathLike | None = None) -> Path:
    """Fetch Stanza's official Italian models (network).  Only ``kg models
    download`` calls this; every other path loads with download_method=None.
    A target other than the default is used with STANZA_RESOURCES_DIR=target."""
    import stanza

    directory = Path(target) if target is not None else official_dir()
    stanza.download("it", model_dir=str(directory), processors=OFFICIAL_PROCESSORS)
    return directory


# --- formatting for the CLI ---------------------------------------------

TABLE_ROWS = (("Tokens", "tokens"), ("Sentences", "sentences"), ("UPOS", "upos"), ("Lemmas", "lemmas"),
              ("UAS", "uas"), ("LAS", "las"))


def format_treebank_scores(scores: dict) -> str:
    lines = [f"{scores.get('file', '')}  (models: {scores.get('models', '')})", f"{'metric':<10} {'F1':>6}"]
    lines += [f"{label:<10} {scores[key]:>6.2f}" for label, key in TABLE_ROWS if key in scores]
    return "\n".join(lines)


def format_ner_scores(scores: dict) -> str:
    header = f"{'type':<6} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}"
    lines = [f"{scores.get('file', '')}  (models: {scores.get('models', '')})", header]
    for kind, s in scores["per_type"].items():
        lines.append(f"{kind:<6} {s['precision']:>6.2f} {s['recall']:>6.2f} {s['f1']:>6.2f} {s['support']:>6}")
    support = sum(s["support"] for s in scores["per_type"].values())
    lines.append(f"{'all':<6} {scores['precision']:>6.2f} {scores['recall']:>6.2f} {scores['f1']:>6.2f} {support:>6}")
    return "\n".join(lines)


def format_models_info(info: dict) -> str:
    lines = [f"models: {info['kind']} ({info['path']})" + ("" if info["complete"] else "  INCOMPLETE"),
             f"{'file':<22} {'processor':<17} {'MB':>7}"]
    lines += [f"{f['name']:<22} {f['processor']:<17} {f['mb']:>7.1f}" + ("" if f["present"] else "  missing")
              for f in info["files"]]
    lines.append(f"{'total':<40} {info['total_mb']:>7.1f}")
    for name, scores in (info.get("scores") or {}).items():
        shown = ", ".join(f"{k} {v}" for k, v in scores.items() if isinstance(v, (int, float)))
        lines.append(f"card scores, {name}: {shown}")
    return "\n".join(lines)

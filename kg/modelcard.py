"""The model card of a kg model set: card.json (read by ``kg models info``)
and MODEL_CARD.md, rendered from it.

Every entry is read from what training actually used or left behind, so the
card cannot drift from the models: the data lists in kg.train, the
hyper-parameters Stanza saves inside each model file, the stage times in
Stanza's training logs, and scores measured with kg.scoring on the test sets
that training never reads.

    python -m kg.modelcard --models kg/models/compact --work build/train --data ../shared/data
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
from pathlib import Path
from typing import Iterable

from kg import train
from kg.parse import CHARLM_FILES, PRETRAIN_FILE, model_set_files

CARD_FILE = "card.json"
MARKDOWN_FILE = "MODEL_CARD.md"
MODELS_LICENSE = "CC BY-NC-SA 4.0"
# KIND's README licenses annotations per chapter (the texts themselves are free).
KIND_LICENSES = {"WN": "CC BY-NC 4.0", "wikinews": "CC BY-NC 4.0", "FIC": "CC BY-NC 4.0",
                 "fiction": "CC BY-NC 4.0", "moro": "CC BY-NC 4.0",
                 "ADG": "CC BY-NC-SA 4.0", "degasperi": "CC BY-NC-SA 4.0"}
# The saved Stanza options worth reporting (the rest are paths and defaults).
HYPERPARAMETERS = ("emb_dim", "word_emb_dim", "char_emb_dim", "hidden_dim", "char_hidden_dim",
                   "deep_biaff_hidden_dim", "num_layers", "rnn_layers", "dropout", "optim", "lr", "lr0",
                   "batch_size", "steps", "max_steps", "num_epoch", "charlm", "pretrain", "scheme",
                   "char_num_layers", "bptt_size", "cutoff")
TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")


def read_card(directory: str | os.PathLike) -> dict | None:
    path = Path(directory) / CARD_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def hyperparameters(model_file: Path) -> dict:
    import torch

    saved = torch.load(model_file, map_location="cpu", weights_only=False)
    # a character LM keeps its options with its weights, the other models beside them
    config = saved.get("config") or saved.get("model", {}).get("args", {})
    return {key: config[key] for key in HYPERPARAMETERS if key in config}


def vector_shape(pretrain_file: Path) -> dict:
    import torch

    words, dim = torch.load(pretrain_file, map_location="cpu", weights_only=False)["emb"].shape
    return {"words": int(words), "dimensions": int(dim)}


def stage_seconds(log_dir: Path) -> dict[str, int]:
    """Wall time of each training stage: first to last timestamp of its Stanza log."""
    out = {}
    for log in sorted(log_dir.glob("*.log")):
        stamps = [m.group(1) for m in map(TIMESTAMP.match, log.read_text(encoding="utf-8").splitlines()) if m]
        if stamps:
            first, last = (dt.datetime.fromisoformat(s) for s in (stamps[0], stamps[-1]))
            out[log.stem] = int((last - first).total_seconds())
    return out


def ud_license(data: Path, treebank: str) -> str:
    readme = data / "ud-italian" / treebank / "README.md"
    if readme.is_file():
        for line in readme.read_text(encoding="utf-8").splitlines():
            if line.startswith("License:"):
                return line.partition(":")[2].strip()
    return "unknown"


def kind_license(name: str) -> str:
    stem = Path(name).stem
    return next((lic for prefix, lic in KIND_LICENSES.items() if stem.startswith(prefix)), "unknown")


def data_section(data: Path) -> dict:
    """Data, splits and licenses, from the lists kg.train trains on."""
    ud_files = [*train.UD_TRAIN, train.UD_ISDT_DEV, train.UD_TEST]
    treebanks = sorted({name.split("/")[0] for name in ud_files})
    ner_files = [*train.NER_TRAIN, train.NER_TEST, *train.KIND_VECTOR_TEXT]
    return {
        "ud": {
            "train": [*train.UD_TRAIN,
                      f"{train.UD_ISDT_DEV} (all but its last {train.ISDT_DEV_HELD_OUT} sentences)"],
            "dev": f"{train.UD_ISDT_DEV} (last {train.ISDT_DEV_HELD_OUT} sentences; picks checkpoints)",
            "test": train.UD_TEST,
        },
        "ner": {
            "train": [f"{train.NER_TRAIN[0]} (all but its last {train.NER_DEV_FRACTION:.0%})",
                      *train.NER_TRAIN[1:]],
            "finetune": f"{train.NER_TRAIN[0]} (all but its last {train.NER_DEV_FRACTION:.0%}), after the above",
            "dev": f"{train.NER_TRAIN[0]} (last {train.NER_DEV_FRACTION:.0%}; picks checkpoints)",
            "test": train.NER_TEST,
        },
        "word_vectors": {"method": "word2vec (gensim), trained here",
                         "text": ["UD training split above", *train.NER_TRAIN[1:], *train.KIND_VECTOR_TEXT]},
        "character_lms": {"method": "Stanza's forward and backward character language models, trained here "
                                    "on the word vectors' text",
                          "dev": f"{train.UD_ISDT_DEV} (last {train.ISDT_DEV_HELD_OUT} sentences)"},
        "licenses": {**{tb: ud_license(data, tb) for tb in treebanks},
                     **{f"KIND {name}": kind_license(name) for name in ner_files}},
    }


def files_section(directory: Path) -> dict:
    out = {}
    for name, processor in model_set_files(directory).items():
        path = directory / name
        if path.is_file():
            out[name] = {"processor": processor, "mb": round(path.stat().st_size / 2**20, 1),
                         "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    return out


def this_machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    names = [line.partition(":")[2].strip() for line in cpuinfo.read_text().splitlines()
             if line.startswith("model name")] if cpuinfo.is_file() else []
    return f"{os.cpu_count()} CPUs ({names[0] if names else platform.processor()}), no GPU"


def build_card(models: Path, data: Path, work: Path | None, ud_scores: dict | None,
               ner_scores: dict | None, budget: str | None = "cpu", machine: str | None = None) -> dict:
    """``machine`` names where training ran when that is not this machine
    (the card is written where the models are scored)."""
    import stanza

    files = files_section(models)
    stages = stage_seconds(work / "logs") if work is not None else {}
    drop = ("file", "models")
    return {
        "name": "kg compact Italian Stanza models",
        "created": dt.date.today().isoformat(),
        "stanza": stanza.__version__,
        "license": MODELS_LICENSE,
        "files": files,
        "total_mb": round(sum(f["mb"] for f in files.values()), 1),
        "data": data_section(data),
        "word_vectors": vector_shape(models / PRETRAIN_FILE) if PRETRAIN_FILE in files else None,
        "hyperparameters": {name: hyperparameters(models / name) for name in files
                            if name.endswith(".pt") and name != PRETRAIN_FILE},
        "training": {"budget_minutes": train.BUDGETS[budget].minutes() if budget else None,
                     "stage_seconds": stages, "total_seconds": sum(stages.values()),
                     "machine": machine or this_machine()},
        "scores": {
            "ud": {**{k: v for k, v in ud_scores.items() if k not in drop}, "test": train.UD_TEST}
            if ud_scores else None,
            "ner": {**{k: v for k, v in ner_scores.items() if k not in drop}, "test": train.NER_TEST}
            if ner_scores else None,
        },
    }


def render_markdown(card: dict) -> str:
    ud, ner = card["scores"]["ud"], card["scores"]["ner"]
    charlm = any(name in card["files"] for name in CHARLM_FILES.values())
    readers = [name for name, params in card["hyperparameters"].items() if params.get("charlm")]
    lines = [f"# {card['name']}", "",
             f"Stanza {card['stanza']} models for Italian (tokenize, mwt, pos, lemma, depparse, ner), "
             f"{card['total_mb']} MB in all (weights stored in half precision), trained with no pretrained "
             "transformer" + (f"; {' and '.join(readers)} read{'s' if len(readers) == 1 else ''} the character "
                              "language models trained here" if readers else " or character language model")
             + f". Created {card['created']}. License: {card['license']} (the most "
             "restrictive license among the training data's NC and SA terms).", "",
             "## Scores", ""]
    if ud:
        lines += [f"End to end on {ud['test']} (raw text in, CoNLL 2018 evaluation, F1):", "",
                  "| Tokens | Sentences | Words | UPOS | XPOS | UFeats | Lemmas | UAS | LAS |",
                  "|---|---|---|---|---|---|---|---|---|",
                  "| " + " | ".join(f"{ud[k]:.2f}" for k in
                                   ("tokens", "sentences", "words", "upos", "xpos", "ufeats", "lemmas",
                                    "uas", "las")) + " |", ""]
    if ner:
        lines += [f"NER on {ner['test']} (gold tokens, exact span and type):", "",
                  "| Type | P | R | F1 | Gold entities |", "|---|---|---|---|---|"]
        lines += [f"| {kind} | {s['precision']:.2f} | {s['recall']:.2f} | {s['f1']:.2f} | {s['support']} |"
                  for kind, s in ner["per_type"].items()]
        lines += [f"| all | {ner['precision']:.2f} | {ner['recall']:.2f} | {ner['f1']:.2f} | "
                  f"{sum(s['support'] for s in ner['per_type'].values())} |", ""]
    data = card["data"]
    lines += ["## Data and splits", "", "UD (tokenize, mwt, pos, lemma, depparse):", ""]
    lines += [f"- train: {name}" for name in data["ud"]["train"]]
    lines += [f"- dev: {data['ud']['dev']}", f"- test: {data['ud']['test']}", "", "NER (KIND):", ""]
    lines += [f"- train: {name}" for name in data["ner"]["train"]]
    lines += [f"- fine-tune: {data['ner']['finetune']}", f"- dev: {data['ner']['dev']}",
              f"- test: {data['ner']['test']}", "",
              f"Word vectors: {data['word_vectors']['method']}, on " + ", ".join(data["word_vectors"]["text"])
              + (f"; {card['word_vectors']['words']} words × {card['word_vectors']['dimensions']} dimensions"
                 if card["word_vectors"] else "") + ".", ""]
    if charlm:
        lms = data["character_lms"]
        lines += [f"Character LMs: {lms['method']}; dev: {lms['dev']}.", ""]
    lines += ["## Licenses of the data", ""]
    lines += [f"- {source}: {lic}" for source, lic in data["licenses"].items()]
    training = card["training"]
    lines += ["", "## Training", "",
              f"Machine: {training['machine']}. "
              f"Total stage time {training['total_seconds'] / 60:.0f} min.", ""]
    if training["budget_minutes"]:
        lines += ["| Stage | Budget (min) | Took (s) |", "|---|---|---|"]
        lines += [f"| {stage} | {minutes} | {stage_took(training['stage_seconds'], stage)} |"
                  for stage, minutes in training["budget_minutes"].items()]
        lines.append("")
    lines += ["## Hyper-parameters", ""]
    for name, params in card["hyperparameters"].items():
        lines.append(f"- {name}: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    lines += ["", "## Files", "", "| File | Processor | MB | sha256 |", "|---|---|---|---|"]
    lines += [f"| {name} | {f['processor']} | {f['mb']} | `{f['sha256'][:16]}` |" for name, f in card["files"].items()]
    return "\n".join(lines) + "\n"


def stage_took(seconds: dict[str, int], stage: str) -> int | str:
    """A stage's seconds; one run as parts side by side (``charlm-forward``,
    ``charlm-backward``) took as long as its longest part."""
    parts = [took for name, took in seconds.items() if name == stage or name.startswith(f"{stage}-")]
    return max(parts) if parts else ""


def write_card(directory: Path, card: dict) -> None:
    (directory / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (directory / MARKDOWN_FILE).write_text(render_markdown(card), encoding="utf-8")


def main(argv: Iterable[str] | None = None) -> None:
    from kg.scoring import format_ner_scores, format_treebank_scores, score_ner, score_treebank

    parser = argparse.ArgumentParser(prog="python -m kg.modelcard", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=Path("kg/models/compact"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--work", type=Path, default=Path("build/train"), help="kg.train's work directory")
    parser.add_argument("--budget", choices=sorted(train.BUDGETS), default="cpu")
    parser.add_argument("--machine", help="where training ran, when not here (e.g. '1 NVIDIA H200 GPU, 16 CPUs')")
    args = parser.parse_args(None if argv is None else list(argv))
    models = str(args.models)
    ud = score_treebank(args.data / "ud-italian" / train.UD_TEST, models)
    print(format_treebank_scores(ud), flush=True)
    ner = score_ner(args.data / "kind" / train.NER_TEST, models)
    print(format_ner_scores(ner), flush=True)
    write_card(args.models, build_card(args.models, args.data, args.work, ud, ner, args.budget,
                                              args.machine))
    print(f"card written to {args.models / CARD_FILE} and {args.models / MARKDOWN_FILE}")


if __name__ == "__main__":
    main()

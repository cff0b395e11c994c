"""Train kg's compact Italian Stanza models from the local UD and KIND data.

Every step uses Stanza's own training code and never touches the network:
word vectors are trained here with gensim and handed to Stanza as a pretrain
file, and no character language model is used.  Each processor trains under a
wall-clock budget; Stanza saves the best dev checkpoint as it goes, so a
stage stopped by its budget still leaves its best model behind.

Example:
    python -m kg.train --data ../shared/data --work build/train --out kg/models/compact
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

SHORTHAND = "it_kg"

# ISDT test is the reported parser test set and KIND wikinews test (= Evalita
# WN_dev) the reported NER test set: neither is ever read for training, dev
# selection or word vectors.
UD_TRAIN = [
    "UD_Italian-ParTUT/it_partut-ud-train.conllu",
    "UD_Italian-ParTUT/it_partut-ud-dev.conllu",
    "UD_Italian-ParTUT/it_partut-ud-test.conllu",
    "UD_Italian-VIT/it_vit-ud-dev.conllu",
    "UD_Italian-VIT/it_vit-ud-test.conllu",
    "UD_Italian-MarkIT/it_markit-ud-train.conllu",
    "UD_Italian-MarkIT/it_markit-ud-dev.conllu",
    "UD_Italian-MarkIT/it_markit-ud-test.conllu",
    "UD_Italian-TWITTIRO/it_twittiro-ud-train.conllu",
    "UD_Italian-TWITTIRO/it_twittiro-ud-dev.conllu",
    "UD_Italian-TWITTIRO/it_twittiro-ud-test.conllu",
    "UD_Italian-PoSTWITA/it_postwita-ud-dev.conllu",
    "UD_Italian-PoSTWITA/it_postwita-ud-test.conllu",
]
# ISDT dev is split by sentence: most of it trains, the tail is the dev set
# that picks checkpoints (the closest data to the ISDT test domain).
UD_ISDT_DEV = "UD_Italian-ISDT/it_isdt-ud-dev.conllu"
ISDT_DEV_HELD_OUT = 160
UD_TEST = "UD_Italian-ISDT/it_isdt-ud-test.conllu"

NER_TRAIN = ["evalita-2023/WN_train.tsv", "evalita-2023/ADG_train.tsv", "evalita-2023/FIC_train.tsv",
             "evalita-2023/ADG_dev.tsv", "evalita-2023/FIC_dev.tsv"]
NER_DEV_FRACTION = 0.06  # of WN_train, held out to pick checkpoints
NER_TEST = "dataset/wikinews_test.tsv"
# Unlabelled-use text for word vectors: every training file above, never a test split.
KIND_VECTOR_TEXT = ["dataset/wikinews_train.tsv", "dataset/fiction_train.tsv", "dataset/moro_train.tsv",
                    "dataset/degasperi_train.tsv"]


@dataclass(frozen=True)
class Budget:
    """Wall-clock minutes per stage, and the settings that suit the machine.

    On a GPU a step costs about the same for small and large batches, so the
    ``gpu`` budget uses Stanza's default batch sizes and more epochs; the
    architectures stay the same, so the shipped size stays the same."""
    tokenize: float
    mwt: float
    pos: float
    lemma: float
    depparse: float
    ner: float
    ner_finetune: float
    pos_batch: int = 64
    depparse_batch: int = 2000
    mwt_epochs: int = 15
    lemma_epochs: int = 4

    def minutes(self) -> dict[str, float]:
        return {stage: getattr(self, stage) for stage in STAGES}


STAGES = ("tokenize", "mwt", "pos", "lemma", "depparse", "ner", "ner_finetune")
BUDGETS = {
    "smoke": Budget(tokenize=0.5, mwt=0.5, pos=0.5, lemma=0.5, depparse=0.5, ner=0.5, ner_finetune=0.5),
    "cpu": Budget(tokenize=8, mwt=3, pos=22, lemma=10, depparse=50, ner=80, ner_finetune=25),
    "gpu": Budget(tokenize=7, mwt=3, pos=3, lemma=6, depparse=3.8, ner=7.5, ner_finetune=4,
                  pos_batch=250, depparse_batch=5000, mwt_epochs=30, lemma_epochs=20),
}


def with_overrides(budget: Budget, items: list[str]) -> Budget:
    """The budget with ``NAME=VALUE`` settings replaced (minutes are floats,
    batch sizes and epochs integers)."""
    for item in items:
        name, _, value = item.partition("=")
        field = next((f for f in fields(Budget) if f.name == name), None)
        if field is None:
            raise ValueError(f"--set {item}: no budget setting {name!r}")
        try:
            number = float(value) if field.type == "float" else int(value)
        except ValueError:
            raise ValueError(f"--set {item}: {value!r} is not a number of the right kind") from None
        budget = replace(budget, **{name: number})
    return budget


def read_sentences(path: Path) -> list[list[str]]:
    """CoNLL-U sentences as line lists, without empty nodes (Stanza's
    trainers do not need them) and with enhanced deps dropped."""
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if any(not row.startswith("#") for row in current):
                sentences.append(current)
            current = []
            continue
        if line.startswith("#"):
            current.append(line)
            continue
        cols = line.split("\t")
        if "." in cols[0]:
            continue
        cols[8] = "_"
        current.append("\t".join(cols))
    if any(not row.startswith("#") for row in current):
        sentences.append(current)
    return sentences


def write_sentences(path: Path, sentences: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join("\n".join(s) + "\n\n" for s in sentences)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return  # a concurrent stage may be reading it
    path.write_text(text, encoding="utf-8")


def prepare_ud(data: Path, work: Path) -> dict[str, Path]:
    ud = data / "ud-italian"
    train = [s for name in UD_TRAIN for s in read_sentences(ud / name)]
    isdt_dev = read_sentences(ud / UD_ISDT_DEV)
    train += isdt_dev[:-ISDT_DEV_HELD_OUT]
    dev = isdt_dev[-ISDT_DEV_HELD_OUT:]
    paths = {"train": work / "ud" / "train.conllu", "dev": work / "ud" / "dev.conllu",
             "test": work / "ud" / "test.conllu"}
    write_sentences(paths["train"], train)
    write_sentences(paths["dev"], dev)
    write_sentences(paths["test"], read_sentences(ud / UD_TEST))
    return paths


def read_ner_tsv(path: Path) -> list[list[tuple[str, str]]]:
    """KIND sentences with BIO tags; bare tags (``PER``) become BIO, where
    adjacent tokens of one type form one entity."""
    from kg.scoring import read_kind_tsv

    return [to_bio(s) for s in read_kind_tsv(path)]


def to_bio(sentence: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out, previous = [], "O"
    for token, tag in sentence:
        if tag != "O" and not tag.startswith(("B-", "I-")):
            tag = ("I-" if previous == tag else "B-") + tag
            previous = tag[2:]
        else:
            previous = "O" if tag == "O" else tag[2:]
        out.append((token, tag))
    return out


def prepare_ner(data: Path, work: Path) -> dict[str, Path]:
    """All KIND training text, its wikinews part alone (for the in-domain
    fine-tune), and the held-out wikinews tail that picks checkpoints."""
    kind = data / "kind"
    wn = read_ner_tsv(kind / NER_TRAIN[0])
    held = int(len(wn) * NER_DEV_FRACTION)
    splits = {"train": wn[:-held] + [s for name in NER_TRAIN[1:] for s in read_ner_tsv(kind / name)],
              "wikinews_train": wn[:-held], "dev": wn[-held:]}
    paths = {key: work / "ner" / f"{key}.json" for key in splits}
    paths["train"].parent.mkdir(parents=True, exist_ok=True)
    for key, sentences in splits.items():
        doc = [[{"text": t, "ner": tag} for t, tag in s] for s in sentences]
        paths[key].write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return paths


def train_vectors(data: Path, ud_train: Path, work: Path, dim: int = 100) -> Path:
    """Word2vec on local Italian text (training splits only), saved as a Stanza pretrain."""
    from gensim.models import Word2Vec
    from stanza.models.common.pretrain import Pretrain

    corpus = [[cols.split("\t")[1].lower() for cols in s if not cols.startswith("#")]
              for s in read_sentences(ud_train)]
    for name in KIND_VECTOR_TEXT + NER_TRAIN[1:]:
        corpus += [[t.lower() for t, _ in s] for s in read_ner_tsv(data / "kind" / name)]
    model = Word2Vec(corpus, vector_size=dim, window=5, min_count=3, workers=2, epochs=10, seed=1)
    vec = work / "vectors.txt"
    model.wv.save_word2vec_format(str(vec), binary=False)
    pt = work / "it_kg.pretrain.pt"
    if pt.exists():
        pt.unlink()
    Pretrain(str(pt), str(vec)).load()
    return pt


def run_stage(name: str, minutes: float, args: list[str], log_dir: Path) -> None:
    """Run a Stanza trainer as a subprocess; past its budget it is stopped and
    its best saved checkpoint stands."""
    log = log_dir / f"{name}.log"
    print(f"[train] {name}: up to {minutes} min, log {log}", flush=True)
    started = time.time()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT)
        try:
            proc.wait(timeout=minutes * 60)
        except subprocess.TimeoutExpired:
            proc.terminate()
            proc.wait()
            print(f"[train] {name}: budget reached, keeping best checkpoint", flush=True)
    if proc.returncode not in (0, None, -15):
        raise SystemExit(f"[train] {name} failed (exit {proc.returncode}); see {log}")
    print(f"[train] {name}: {time.time() - started:.0f} s", flush=True)


@dataclass(frozen=True)
class Plan:
    """Where one training run reads and writes, shared by every stage."""
    data: Path
    work: Path
    budget: Budget
    ud: dict[str, Path]
    start: Path | None = None  # shipped models to continue from, with their vectors

    @property
    def models(self) -> Path:
        return self.work / "models"

    @property
    def logs(self) -> Path:
        return self.work / "logs"

    @property
    def pretrain(self) -> Path:
        # A model is tied to the vectors it was trained with.
        return self.start / "pretrain.pt" if self.start else self.work / "it_kg.pretrain.pt"

    def model(self, kind: str) -> str:
        return f"{SHORTHAND}_{kind}.pt"

    def trainer(self, kind: str) -> list[str]:
        """The module (and its arguments) that trains a tagger or parser:
        Stanza's own, or ``kg.resume`` continuing the shipped model."""
        if self.start:
            return ["kg.resume", kind, str(self.start / f"{kind}.pt")]
        return [f"stanza.models.{kind}"]

    def stanza_args(self, kind: str, *, vectors: bool = True, lang: bool = True) -> list[str]:
        """Arguments every Stanza trainer shares (the lemmatizer and NER
        trainers take no ``--lang``)."""
        args = ["--lang", "it"] if lang else []
        args += ["--shorthand", SHORTHAND, "--save_dir", str(self.models), "--save_name", self.model(kind)]
        return args + (["--wordvec_pretrain_file", str(self.pretrain)] if vectors else [])


def train_tokenizer(plan: Plan) -> None:
    from stanza.utils.datasets import prepare_tokenizer_data
    from stanza.utils.datasets.conllu_to_text import convert_text
    work = plan.work
    for split in ("train", "dev"):
        convert_text(str(plan.ud[split]), str(work / f"tok_{split}.txt"))
        prepare_tokenizer_data.main([str(work / f"tok_{split}.txt"), str(plan.ud[split]),
                                     "-o", str(work / f"tok_{split}.toklabels"),
                                     "-m", str(work / f"tok_{split}_mwt.json")])
    run_stage("tokenize", plan.budget.tokenize, [
        "stanza.models.tokenizer", *plan.stanza_args("tokenizer", vectors=False),
        "--txt_file", str(work / "tok_train.txt"), "--label_file", str(work / "tok_train.toklabels"),
        "--mwt_json_file", str(work / "tok_train_mwt.json"),
        "--dev_txt_file", str(work / "tok_dev.txt"), "--dev_label_file", str(work / "tok_dev.toklabels"),
        "--dev_conll_gold", str(plan.ud["dev"]), "--conll_file", str(work / "tok_dev.pred.conllu"),
        "--steps", "50000", "--eval_steps", "250"], plan.logs)


def train_mwt(plan: Plan) -> None:
    run_stage("mwt", plan.budget.mwt, [
        "stanza.models.mwt_expander", *plan.stanza_args("mwt", vectors=False),
        "--train_file", str(plan.ud["train"]), "--eval_file", str(plan.ud["dev"]),
        "--output_file", str(plan.work / "mwt_dev.pred.conllu"), "--gold_file", str(plan.ud["dev"]),
        "--num_epoch", str(plan.budget.mwt_epochs)], plan.logs)


def train_tagger_then_parser(plan: Plan, stages: list[str]) -> None:
    """The parser sees predicted POS at run time, so it trains on data
    retagged by the tagger trained just before it."""
    if "pos" in stages:
        run_stage("pos", plan.budget.pos, [
            *plan.trainer("tagger"), *plan.stanza_args("tagger"), "--train_file", str(plan.ud["train"]),
            "--eval_file", str(plan.ud["dev"]), "--output_file", str(plan.work / "pos_dev.pred.conllu"),
            "--hidden_dim", "200", "--char_hidden_dim", "100", "--deep_biaff_hidden_dim", "200",
            "--batch_size", str(plan.budget.pos_batch), "--max_steps", "30000", "--eval_interval", "100"],
            plan.logs)
    if "depparse" not in stages:
        return
    retagged = {}
    for split in ("train", "dev"):
        retagged[split] = plan.work / "ud" / f"{split}.retag.conllu"
        run_stage(f"retag-{split}", 30, [
            "stanza.models.tagger", *plan.stanza_args("tagger"), "--mode", "predict",
            "--eval_file", str(plan.ud[split]), "--output_file", str(retagged[split])], plan.logs)
    # A parser continued from the shipped one keeps its architecture and
    # vocabulary and learns the new tagger's errors from the retagged data.
    run_stage("depparse", plan.budget.depparse, [
        *plan.trainer("parser"), *plan.stanza_args("parser"), "--train_file", str(retagged["train"]),
        "--eval_file", str(retagged["dev"]), "--output_file", str(plan.work / "parse_dev.pred.conllu"),
        "--hidden_dim", "200", "--char_hidden_dim", "200", "--deep_biaff_hidden_dim", "200",
        "--num_layers", "2", "--batch_size", str(plan.budget.depparse_batch), "--max_steps", "30000",
        "--eval_interval", "100"], plan.logs)


def train_lemmatizer(plan: Plan) -> None:
    run_stage("lemma", plan.budget.lemma, [
        "stanza.models.lemmatizer", *plan.stanza_args("lemmatizer", vectors=False, lang=False),
        "--train_file", str(plan.ud["train"]), "--eval_file", str(plan.ud["dev"]),
        "--output_file", str(plan.work / "lemma_dev.pred.conllu"),
        "--num_epoch", str(plan.budget.lemma_epochs), "--decay_epoch", "2", "--batch_size", "100"], plan.logs)


def train_ner(plan: Plan, stages: list[str]) -> None:
    """NER on all of KIND, then fine-tuned on its wikinews part alone: the
    news domain kg reads (dev F1 79.4 -> 81.8 in the shipped run).  With
    ``plan.start`` the fine-tune continues from the shipped tagger instead."""
    ner = prepare_ner(plan.data, plan.work)
    if "ner" in stages:
        run_stage("ner", plan.budget.ner, [
            "stanza.models.ner_tagger", *plan.stanza_args("nertagger_base", lang=False),
            "--train_file", str(ner["train"]), "--eval_file", str(ner["dev"]),
            "--hidden_dim", "200", "--max_steps", "60000", "--eval_interval", "500", "--batch_size", "32"],
            plan.logs)
    base = plan.start / "nertagger.pt" if plan.start else plan.models / plan.model("nertagger_base")
    run_stage("ner_finetune", plan.budget.ner_finetune, [
        "stanza.models.ner_tagger", *plan.stanza_args("nertagger", lang=False),
        "--train_file", str(ner["wikinews_train"]), "--eval_file", str(ner["dev"]),
        "--finetune", "--finetune_load_name", str(base),
        "--max_steps", "30000", "--eval_interval", "100", "--batch_size", "32"], plan.logs)


def run_chains(chains: list, parallel: bool) -> None:
    """Run independent stage chains one after another, or all at once (one
    subprocess each; for a GPU or a many-core machine)."""
    if not parallel:
        for chain in chains:
            chain()
        return
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(chains)) as pool:
        for future in [pool.submit(chain) for chain in chains]:
            future.result()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m kg.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--work", type=Path, default=Path("build/train"))
    parser.add_argument("--out", type=Path, default=Path("build/models"))
    parser.add_argument("--budget", choices=sorted(BUDGETS), default="cpu",
                        help="minutes and batch sizes per stage: cpu, gpu, or smoke (a quick check)")
    parser.add_argument("--stages", default="vectors,tokenize,mwt,pos,lemma,depparse,ner",
                        help="comma-separated stages to run (later ones reuse earlier outputs in --work)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="overrides",
                        help="override one budget setting (repeatable): a stage's minutes, e.g. "
                             "ner_finetune=100, or pos_batch, depparse_batch, mwt_epochs, lemma_epochs")
    parser.add_argument("--start", type=Path, default=None,
                        help="a shipped model directory to continue from (pos resumes its tagger.pt, depparse "
                             "its parser.pt and ner_finetune its nertagger.pt; its pretrain.pt is used as "
                             "the word vectors)")
    parser.add_argument("--parallel", action="store_true",
                        help="train independent stages at the same time (GPU or many cores)")
    args = parser.parse_args(argv)
    stages = args.stages.split(",")
    random.seed(1)
    try:
        budget = with_overrides(BUDGETS[args.budget], args.overrides)
    except ValueError as exc:
        parser.error(str(exc))
    plan = Plan(args.data, args.work, budget, prepare_ud(args.data, args.work), args.start)
    for d in (plan.models, plan.logs):
        d.mkdir(parents=True, exist_ok=True)

    if "vectors" in stages:
        t = time.time()
        train_vectors(args.data, plan.ud["train"], plan.work)
        print(f"[train] vectors: {time.time() - t:.0f} s", flush=True)
    chains = [chain for stage, chain in (
        ("tokenize", lambda: train_tokenizer(plan)),
        ("mwt", lambda: train_mwt(plan)),
        ("lemma", lambda: train_lemmatizer(plan)),
        ("ner", lambda: train_ner(plan, stages)),
    ) if stage in stages or (stage == "ner" and "ner_finetune" in stages)]
    if {"pos", "depparse"} & set(stages):
        chains.insert(0, lambda: train_tagger_then_parser(plan, stages))
    run_chains(chains, args.parallel)
    export(plan.pretrain, plan.models, args.out)


def export(pretrain: Path, models: Path, out: Path) -> None:
    """Copy the trained models (not optimizer checkpoints) into the shipped layout."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(pretrain, out / "pretrain.pt")
    for src in sorted(models.glob(f"{SHORTHAND}_*.pt")):
        if any(part in src.name for part in ("checkpoint", "optim", "_base")):
            continue
        shutil.copy(src, out / src.name.replace(f"{SHORTHAND}_", ""))
    print(f"[train] models in {out}: " + ", ".join(p.name for p in sorted(out.glob('*.pt'))), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()

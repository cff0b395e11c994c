"""Train kg's compact Italian Stanza models from the local UD and KIND data.

Every step uses Stanza's own training code and never touches the network:
word vectors are trained here with gensim and handed to Stanza as a pretrain
file, and the forward and backward character language models that the POS
and NER taggers read are trained here too, on the same text.  Each processor
trains under a wall-clock budget; Stanza saves the best dev checkpoint as it
goes, so a stage stopped by its budget still leaves its best model behind.

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
from collections import defaultdict
from dataclasses import dataclass, fields, replace
from pathlib import Path

from kg.parse import CHARLM_FILES, SINGLE_WORDS_FILE, WORD_CLASSES_FILE
from kg.scoring import surface_tokens

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
    charlm: float
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
    # Stanza's NER default (plain SGD) needs hours from nothing with the
    # character LMs; an adaptive optimizer may get further in a short run.
    ner_optim: str = "sgd"
    ner_lr: float = 0.1
    ner_batch: int = 32
    # A character LM runs over every character of every sentence, once per
    # direction in each tagger that reads it: its size sets parse speed.
    charlm_hidden: int = 512
    # Steps between dev evaluations, each of which saves the best model so
    # far (NER's first stage, on all of KIND, evaluates half as often).
    eval_interval: int = 100

    def minutes(self) -> dict[str, float]:
        return {stage: getattr(self, stage) for stage in STAGES}


STAGES = ("charlm", "tokenize", "mwt", "pos", "lemma", "depparse", "ner", "ner_finetune")
BUDGETS = {
    "smoke": Budget(charlm=0.5, tokenize=0.5, mwt=0.5, pos=0.5, lemma=0.5, depparse=0.5, ner=0.5,
                    ner_finetune=0.5, charlm_hidden=32, eval_interval=5),
    "cpu": Budget(charlm=40, tokenize=8, mwt=3, pos=22, lemma=10, depparse=50, ner=80, ner_finetune=25),
    "gpu": Budget(charlm=2, tokenize=7, mwt=3, pos=3, lemma=6, depparse=3.8, ner=7.5, ner_finetune=4,
                  pos_batch=250, depparse_batch=5000, mwt_epochs=30, lemma_epochs=20),
}
NER_OPTIMIZERS = ("sgd", "adagrad", "adam", "adamax")
# The models that read the character LMs; the parser and the rest do not.
CHARLM_READERS = ("tagger", "nertagger")


def with_overrides(budget: Budget, items: list[str]) -> Budget:
    """The budget with ``NAME=VALUE`` settings replaced (minutes and rates
    are floats, batch sizes and epochs integers, the optimizer a name)."""
    for item in items:
        name, _, value = item.partition("=")
        field = next((f for f in fields(Budget) if f.name == name), None)
        if field is None:
            raise ValueError(f"--set {item}: no budget setting {name!r}")
        if field.type == "str":
            if value not in NER_OPTIMIZERS:
                raise ValueError(f"--set {item}: not one of {', '.join(NER_OPTIMIZERS)}")
            budget = replace(budget, **{name: value})
            continue
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


def conllu_words(path: Path) -> list[list[str]]:
    return [[cols.split("\t")[1] for cols in s if not cols.startswith("#")] for s in read_sentences(path)]


def single_words(ud_train: Path) -> list[str]:
    """Lower-case forms the treebanks have as one word and never as a
    contraction: the parse stage keeps the tokenizer from splitting them."""
    one, split = set(), set()
    for tokens in surface_tokens(ud_train.read_text(encoding="utf-8")):
        for token in tokens:
            (split if token.multiword else one).add(token.form.lower())
    return sorted(one - split)


def word_classes(ud_train: Path) -> dict[str, str]:
    """Lower-case forms the treebanks have only as nouns, or only as adjectives: the parse
    stage retags one the tagger reads otherwise (``kg.parse._second_tag``)."""
    classes: dict[str, set[str]] = defaultdict(set)
    for sentence in read_sentences(ud_train):
        for cols in (line.split("\t") for line in sentence if not line.startswith("#")):
            if cols[0].isdigit():
                classes[cols[1].lower()].add(cols[3])
    return {form: upos for form, (upos, *more) in sorted(classes.items())
            if not more and upos in ("NOUN", "ADJ")}


def unlabelled_text(data: Path, ud_train: Path) -> list[list[str]]:
    """The words of local Italian text, training splits only: what the word
    vectors and the character LMs learn from."""
    corpus = conllu_words(ud_train)
    for name in KIND_VECTOR_TEXT + NER_TRAIN[1:]:
        corpus += [[t for t, _ in s] for s in read_ner_tsv(data / "kind" / name)]
    return corpus


def train_vectors(data: Path, ud_train: Path, work: Path, dim: int = 100) -> Path:
    """Word2vec on local Italian text (training splits only), saved as a Stanza pretrain."""
    from gensim.models import Word2Vec
    from stanza.models.common.pretrain import Pretrain

    corpus = [[word.lower() for word in s] for s in unlabelled_text(data, ud_train)]
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

    @property
    def charlm_dir(self) -> Path:
        return self.work / "charlm"

    def model(self, kind: str) -> str:
        return f"{SHORTHAND}_{kind}.pt"

    @staticmethod
    def charlm_in(directory: Path | None) -> dict[str, Path]:
        files = {direction: directory / name for direction, name in CHARLM_FILES.items()} if directory else {}
        return files if files and all(f.is_file() for f in files.values()) else {}

    @property
    def charlm(self) -> dict[str, Path]:
        """The character LMs the tagger and NER read: this run's, else the
        start models' (none: the taggers read no character LM)."""
        return self.charlm_in(self.charlm_dir) or self.charlm_in(self.start)

    def continues(self, kind: str) -> bool:
        """Whether ``kind`` continues the start's model: not where this run
        trains new character LMs for it to read."""
        return self.start is not None and not (kind in CHARLM_READERS and self.charlm_in(self.charlm_dir))

    def start_model(self, kind: str) -> Path | None:
        """The start's model that ``kind`` continues, if it continues one."""
        return self.start / f"{kind}.pt" if self.continues(kind) else None

    def reads_charlm(self, kind: str, base: Path | None) -> bool:
        """A tagger trained from nothing reads the character LMs there are; one
        that goes on from the saved model ``base`` reads them only if it did."""
        if kind.removesuffix("_base") not in CHARLM_READERS or not self.charlm:
            return False
        if base is None:
            return True
        import torch

        saved = torch.load(base, map_location="cpu", weights_only=False)
        return bool(saved.get("config", {}).get("charlm"))

    def trainer(self, kind: str) -> list[str]:
        """The module (and its arguments) that trains a tagger or parser:
        Stanza's own, or ``kg.resume`` continuing the shipped model."""
        start = self.start_model(kind)
        return ["kg.resume", kind, str(start)] if start else [f"stanza.models.{kind}"]

    def stanza_args(self, kind: str, *, vectors: bool = True, lang: bool = True,
                    base: Path | None = None, saved: Path | None = None) -> list[str]:
        """Arguments every Stanza trainer shares (the lemmatizer and NER
        trainers take no ``--lang``); ``base`` is the saved model a run goes
        on from (continued, fine-tuned or used to predict), ``saved`` the
        model a prediction reads where it is not this run's."""
        saved = saved or self.models / self.model(kind)
        args = ["--lang", "it"] if lang else []
        args += ["--shorthand", SHORTHAND, "--save_dir", str(saved.parent), "--save_name", saved.name]
        if self.reads_charlm(kind, base):
            args += ["--charlm", "--charlm_shorthand", SHORTHAND, "--charlm_forward_file",
                     str(self.charlm["forward"]), "--charlm_backward_file", str(self.charlm["backward"])]
        return args + (["--wordvec_pretrain_file", str(self.pretrain)] if vectors else [])


def train_charlm(plan: Plan) -> None:
    """Forward and backward character LMs, side by side, on the text the word
    vectors learn from, one sentence a line with the words spaced as the
    taggers will hand them over; the ISDT dev tail picks the checkpoint."""
    plan.charlm_dir.mkdir(parents=True, exist_ok=True)
    text = {"train": plan.charlm_dir / "train.txt", "dev": plan.charlm_dir / "dev.txt"}
    for split, sentences in (("train", unlabelled_text(plan.data, plan.ud["train"])),
                             ("dev", conllu_words(plan.ud["dev"]))):
        text[split].write_text("".join(" ".join(words) + "\n" for words in sentences), encoding="utf-8")

    def direction(name: str):
        return lambda: run_stage(f"charlm-{name}", plan.budget.charlm, [
            "stanza.models.charlm", "--direction", name, "--shorthand", SHORTHAND,
            "--train_file", str(text["train"]), "--eval_file", str(text["dev"]),
            "--save_dir", str(plan.charlm_dir), "--save_name", CHARLM_FILES[name],
            "--vocab_save_name", f"{name}_vocab.pt", "--char_hidden_dim", str(plan.budget.charlm_hidden),
            # a character seen fewer times than this is unknown (Stanza's default assumes gigabytes of text)
            "--cutoff", "20", "--eval_steps", str(plan.budget.eval_interval), "--epochs", "1000",
            "--no_checkpoint"], plan.logs)
    run_chains([direction("forward"), direction("backward")], parallel=True)


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
            *plan.trainer("tagger"), *plan.stanza_args("tagger", base=plan.start_model("tagger")),
            "--train_file", str(plan.ud["train"]),
            "--eval_file", str(plan.ud["dev"]), "--output_file", str(plan.work / "pos_dev.pred.conllu"),
            "--hidden_dim", "200", "--char_hidden_dim", "100", "--deep_biaff_hidden_dim", "200",
            "--batch_size", str(plan.budget.pos_batch), "--max_steps", "30000",
            "--eval_interval", str(plan.budget.eval_interval)],
            plan.logs)
    if "depparse" not in stages:
        return
    # the tagger the parser will run behind: this run's, or the start's where this run trains none
    tagger = plan.models / plan.model("tagger")
    if "pos" not in stages and plan.start_model("tagger"):
        tagger = plan.start_model("tagger")
    retagged = {}
    for split in ("train", "dev"):
        retagged[split] = plan.work / "ud" / f"{split}.retag.conllu"
        run_stage(f"retag-{split}", 30, [
            "stanza.models.tagger", *plan.stanza_args("tagger", base=tagger, saved=tagger),
            "--mode", "predict",
            "--eval_file", str(plan.ud[split]), "--output_file", str(retagged[split])], plan.logs)
    # A parser continued from the shipped one keeps its architecture and
    # vocabulary and learns the new tagger's errors from the retagged data.
    run_stage("depparse", plan.budget.depparse, [
        *plan.trainer("parser"), *plan.stanza_args("parser"), "--train_file", str(retagged["train"]),
        "--eval_file", str(retagged["dev"]), "--output_file", str(plan.work / "parse_dev.pred.conllu"),
        "--hidden_dim", "200", "--char_hidden_dim", "200", "--deep_biaff_hidden_dim", "200",
        "--num_layers", "2", "--batch_size", str(plan.budget.depparse_batch), "--max_steps", "30000",
        "--eval_interval", str(plan.budget.eval_interval)], plan.logs)


def train_lemmatizer(plan: Plan) -> None:
    run_stage("lemma", plan.budget.lemma, [
        "stanza.models.lemmatizer", *plan.stanza_args("lemmatizer", vectors=False, lang=False),
        "--train_file", str(plan.ud["train"]), "--eval_file", str(plan.ud["dev"]),
        "--output_file", str(plan.work / "lemma_dev.pred.conllu"),
        "--num_epoch", str(plan.budget.lemma_epochs), "--decay_epoch", "2", "--batch_size", "100"], plan.logs)


def train_ner(plan: Plan, stages: list[str]) -> None:
    """NER on all of KIND, then fine-tuned on its wikinews part alone: the
    news domain kg reads (dev F1 79.4 -> 81.8 in the shipped run).  With
    ``plan.start`` the fine-tune continues from the shipped tagger instead,
    unless the ``ner`` stage is asked for or the tagger cannot continue it."""
    ner = prepare_ner(plan.data, plan.work)
    anew = "ner" in stages or not plan.continues("nertagger")
    if anew:
        run_stage("ner", plan.budget.ner, [
            "stanza.models.ner_tagger", *plan.stanza_args("nertagger_base", lang=False),
            "--train_file", str(ner["train"]), "--eval_file", str(ner["dev"]),
            "--hidden_dim", "200", "--max_steps", "60000",
            "--eval_interval", str(2 * plan.budget.eval_interval), *ner_optimizer(plan.budget)],
            plan.logs)
    base = plan.models / plan.model("nertagger_base") if anew else plan.start / "nertagger.pt"
    run_stage("ner_finetune", plan.budget.ner_finetune, [
        "kg.resume", "nertagger", str(base), *plan.stanza_args("nertagger", lang=False, base=base),
        "--train_file", str(ner["wikinews_train"]), "--eval_file", str(ner["dev"]),
        "--max_steps", "30000", "--eval_interval", str(plan.budget.eval_interval), *ner_optimizer(plan.budget)],
        plan.logs)


def ner_optimizer(budget: Budget) -> list[str]:
    # Stanza stops NER training when the rate reaches --min_lr (1e-4, a
    # thousandth of its default SGD rate): keep that ratio for other rates.
    return ["--optim", budget.ner_optim, "--lr", str(budget.ner_lr), "--min_lr", str(budget.ner_lr / 1000),
            "--batch_size", str(budget.ner_batch)]


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
    parser.add_argument("--stages", default="vectors,charlm,tokenize,mwt,pos,lemma,depparse,ner",
                        help="comma-separated stages to run, of vectors, " + ", ".join(STAGES)
                             + " (later ones reuse earlier outputs in --work)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", dest="overrides",
                        help="override one budget setting (repeatable): a stage's minutes, e.g. "
                             "ner_finetune=100, or pos_batch, depparse_batch, mwt_epochs, lemma_epochs, "
                             f"charlm_hidden, eval_interval, ner_optim ({', '.join(NER_OPTIMIZERS)}), ner_lr, ner_batch")
    parser.add_argument("--start", type=Path, default=None,
                        help="a shipped model directory to continue from (pos resumes its tagger.pt, depparse "
                             "its parser.pt and ner_finetune its nertagger.pt; its pretrain.pt is used as "
                             "the word vectors and its character LMs, if any, unless charlm trains new ones: "
                             "then pos and ner train anew)")
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
    if "charlm" in stages:
        train_charlm(plan)
    chains = [chain for stage, chain in (
        ("tokenize", lambda: train_tokenizer(plan)),
        ("mwt", lambda: train_mwt(plan)),
        ("lemma", lambda: train_lemmatizer(plan)),
        ("ner", lambda: train_ner(plan, stages)),
    ) if stage in stages or (stage == "ner" and "ner_finetune" in stages)]
    if {"pos", "depparse"} & set(stages):
        chains.insert(0, lambda: train_tagger_then_parser(plan, stages))
    run_chains(chains, args.parallel)
    export(plan.pretrain, plan.models, args.out, plan.charlm, plan.ud["train"])


def export(pretrain: Path, models: Path, out: Path, charlm: dict[str, Path] | None = None,
           ud_train: Path | None = None) -> None:
    """Copy the trained models (not optimizer checkpoints) and the character
    LMs they read into the shipped layout, their weights in half precision:
    the shipped size halves, and Stanza's loaders cast them back to float32.
    The vectors stay as they are (Stanza embeds them as stored); the
    treebanks' single words go beside them."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(pretrain, out / "pretrain.pt")
    if ud_train is not None:
        (out / SINGLE_WORDS_FILE).write_text("\n".join(single_words(ud_train)) + "\n", encoding="utf-8")
        (out / WORD_CLASSES_FILE).write_text(
            "".join(f"{form}\t{upos}\n" for form, upos in word_classes(ud_train).items()), encoding="utf-8")
    shipped = {src.name.replace(f"{SHORTHAND}_", ""): src for src in sorted(models.glob(f"{SHORTHAND}_*.pt"))
               if not any(part in src.name for part in ("checkpoint", "optim", "_base"))}
    shipped.update({CHARLM_FILES[direction]: path for direction, path in (charlm or {}).items()})
    for name, src in shipped.items():
        torch.save(half_precision(torch.load(src, map_location="cpu", weights_only=False)), out / name)
    print(f"[train] models in {out}: " + ", ".join(p.name for p in sorted(out.glob('*.pt'))), flush=True)


def half_precision(saved):
    """A saved model with every float32 tensor in it as float16."""
    import torch

    if isinstance(saved, torch.Tensor):
        return saved.half() if saved.dtype == torch.float32 else saved
    if isinstance(saved, defaultdict):
        return type(saved)(saved.default_factory, {key: half_precision(value) for key, value in saved.items()})
    if isinstance(saved, dict):
        return type(saved)({key: half_precision(value) for key, value in saved.items()})
    if isinstance(saved, (list, tuple)):
        return type(saved)(half_precision(value) for value in saved)
    return saved


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()

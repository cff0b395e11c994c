"""Stanza's tagger, parser and NER trainers, continued from a saved model.

Stanza 1.15's tagger cannot start from a saved model, and its parser's
``--continue_from`` builds the vocabulary from the new training file, so data
retagged by a new tagger (a feature the saved parser never saw, or the same
ones in another order) indexes past the saved embeddings.  Here both trainers
start from the saved weights and encode every batch with the saved vocabulary.
The optimizer starts afresh: shipped models carry no optimizer state.

Stanza's NER ``--finetune`` builds that fresh optimizer from the saved
model's configuration, so a fine-tune asked for another optimizer or rate
silently kept the old one; here the run's own choice is the one used.

Usage: ``python -m kg.resume {tagger,parser,nertagger} MODEL.pt <Stanza trainer arguments>``
"""
from __future__ import annotations

import sys

import torch
from stanza.models import ner_tagger, parser, tagger
from stanza.models.depparse.data import DataLoader
from stanza.models.pos.vocab import MultiVocab


def saved_vocab(model: str) -> MultiVocab:
    return MultiVocab.load_state_dict(torch.load(model, map_location="cpu", weights_only=False)["vocab"])


def loader_with_vocab(saved: MultiVocab):
    """Stanza's parser DataLoader, encoding with ``saved`` unless given a vocabulary."""
    def loader(*args, vocab=None, **kwargs):
        return DataLoader(*args, vocab=vocab or saved, **kwargs)
    return loader


def trainer_from(model: str, trainer_class):
    """Stanza's tagger Trainer, loading ``model`` where the trainer would build a fresh one
    (the run's own arguments still override the saved configuration)."""
    def trainer(*, model_file=None, **kwargs):
        return trainer_class(model_file=model_file or model, **kwargs)
    return trainer


def resume_parser(model: str, stanza_args: list[str]) -> None:
    parser.DataLoader = loader_with_vocab(saved_vocab(model))
    parser.main(["--continue_from", model, *stanza_args])


def resume_tagger(model: str, stanza_args: list[str]) -> None:
    saved = saved_vocab(model)
    tagger.Dataset.init_vocab = staticmethod(lambda *args, **kwargs: saved)
    tagger.Trainer = trainer_from(model, tagger.Trainer)
    tagger.main(stanza_args)


# The settings a fine-tune takes from its own arguments rather than the saved model's.
OPTIMIZER_SETTINGS = ("optim", "lr", "momentum")


def trainer_with(settings: dict, trainer_class):
    """Stanza's NER Trainer, with ``settings`` over the saved configuration
    where it loads a model (the optimizer is built from them)."""
    def trainer(*, args=None, model_file=None, **kwargs):
        if model_file is not None:
            args = {**(args or {}), **settings}
        return trainer_class(args=args, model_file=model_file, **kwargs)
    return trainer


def resume_nertagger(model: str, stanza_args: list[str]) -> None:
    stanza_args = ["--finetune", "--finetune_load_name", model, *stanza_args]
    chosen = ner_tagger.parse_args(stanza_args)
    ner_tagger.Trainer = trainer_with({key: chosen[key] for key in OPTIMIZER_SETTINGS}, ner_tagger.Trainer)
    ner_tagger.main(stanza_args)


RESUMERS = {"parser": resume_parser, "tagger": resume_tagger, "nertagger": resume_nertagger}


def main(argv: list[str]) -> None:
    kind, model, stanza_args = argv[0], argv[1], argv[2:]
    RESUMERS[kind](model, stanza_args)


if __name__ == "__main__":
    main(sys.argv[1:])

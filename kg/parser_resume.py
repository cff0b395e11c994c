"""Stanza's parser trainer, continued from a saved parser with that parser's vocabulary.

Stanza 1.15's ``--continue_from`` builds the vocabulary from the new training
file, so data retagged by a new tagger (a feature the saved parser never saw,
or the same ones in another order) indexes past the saved embeddings.  Here
every batch is encoded with the saved parser's vocabulary instead.

Usage: ``python -m kg.parser_resume PARSER.pt <stanza.models.parser arguments>``
"""
from __future__ import annotations

import sys

import torch
from stanza.models import parser
from stanza.models.depparse.data import DataLoader
from stanza.models.pos.vocab import MultiVocab


def saved_vocab(model: str) -> MultiVocab:
    return MultiVocab.load_state_dict(torch.load(model, map_location="cpu", weights_only=False)["vocab"])


def loader_with_vocab(saved: MultiVocab):
    """Stanza's parser DataLoader, encoding with ``saved`` unless given a vocabulary."""
    def loader(*args, vocab=None, **kwargs):
        return DataLoader(*args, vocab=vocab or saved, **kwargs)
    return loader


def main(argv: list[str]) -> None:
    model, stanza_args = argv[0], argv[1:]
    parser.DataLoader = loader_with_vocab(saved_vocab(model))
    parser.main(["--continue_from", model, *stanza_args])


if __name__ == "__main__":
    main(sys.argv[1:])

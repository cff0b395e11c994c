"""kg.train's data preparation and export, on tiny stand-in files (training itself is Stanza's)."""
import json

import pytest

from kg import train


def write_kind(root, name, sentences):
    path = root / "kind" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("".join(f"{tok}\t{tag}\n" for tok, tag in s) + "\n" for s in sentences))


def test_ner_splits_keep_the_dev_tail_out_of_both_training_sets(tmp_path):
    wikinews = [[(f"Parola{i}", "O"), ("Roma", "B-LOC")] for i in range(50)]
    write_kind(tmp_path, train.NER_TRAIN[0], wikinews)
    for name in train.NER_TRAIN[1:]:
        write_kind(tmp_path, name, [[("Aldo", "B-PER"), ("Moro", "I-PER")]])
    paths = train.prepare_ner(tmp_path, tmp_path / "work")
    splits = {key: json.loads(path.read_text()) for key, path in paths.items()}
    first_words = {key: [s[0]["text"] for s in sents] for key, sents in splits.items()}
    held = int(50 * train.NER_DEV_FRACTION)
    assert first_words["dev"] == [f"Parola{i}" for i in range(50 - held, 50)]
    assert first_words["wikinews_train"] == [f"Parola{i}" for i in range(50 - held)]
    assert set(first_words["wikinews_train"]) < set(first_words["train"])
    assert not set(first_words["dev"]) & set(first_words["train"])


def test_export_ships_final_models_only(tmp_path):
    work, models, out = tmp_path / "work", tmp_path / "work" / "models", tmp_path / "out"
    models.mkdir(parents=True)
    (work / "it_kg.pretrain.pt").write_bytes(b"vectors")
    for name in ("tagger", "parser", "parser_checkpoint", "nertagger", "nertagger_base"):
        (models / f"{train.SHORTHAND}_{name}.pt").write_bytes(name.encode())
    train.export(work / "it_kg.pretrain.pt", models, out)
    assert sorted(p.name for p in out.iterdir()) == ["nertagger.pt", "parser.pt", "pretrain.pt", "tagger.pt"]


def test_every_budget_names_every_stage():
    for budget in train.BUDGETS.values():
        assert set(budget.minutes()) == set(train.STAGES) and all(m > 0 for m in budget.minutes().values())


def test_budget_settings_can_be_overridden_by_name():
    budget = train.with_overrides(train.BUDGETS["cpu"], ["ner_finetune=60", "pos_batch=250"])
    assert (budget.ner_finetune, budget.pos_batch, budget.ner) == (60.0, 250, train.BUDGETS["cpu"].ner)
    for bad in (["nope=1"], ["pos_batch=2.5"], ["pos=many"]):
        with pytest.raises(ValueError, match="--set"):
            train.with_overrides(train.BUDGETS["cpu"], bad)


def test_a_resumed_parser_encodes_new_data_with_its_own_vocabulary(tmp_path):
    """Retagged data with a feature the shipped parser never saw must index
    inside the shipped parser's embeddings: one column per feature it knows."""
    from stanza.utils.conll import CoNLL

    from kg import resume
    from kg.parse import compact_dir

    saved = resume.saved_vocab(str(compact_dir() / "parser.pt"))
    conllu = tmp_path / "retagged.conllu"
    conllu.write_text("# text = Roma vince\n"
                      "1\tRoma\tRoma\tPROPN\tSP\tInventedFeature=Yes\t2\tnsubj\t_\t_\n"
                      "2\tvince\tvincere\tVERB\tV\tMood=Ind|Number=Sing\t0\troot\t_\t_\n\n")
    args = {"batch_size": 100, "shorthand": "it_kg", "lang": "it"}
    loader = resume.loader_with_vocab(saved)(CoNLL.conll2doc(input_file=str(conllu)), 100, args, None)
    feats = next(iter(loader))[6][0]  # words x features
    sizes = saved["feats"].lens()
    assert loader.vocab is saved
    assert feats.shape == (3, len(sizes))  # ROOT and two words
    assert all(int(feats[:, column].max()) < size for column, size in enumerate(sizes))


def test_a_resumed_tagger_starts_from_the_shipped_weights():
    """Stanza builds a fresh tagger where ``kg.resume`` must load the shipped one."""
    import torch
    from stanza.models.common.pretrain import Pretrain
    from stanza.models.pos.trainer import Trainer

    from kg import resume
    from kg.parse import compact_dir

    model = str(compact_dir() / "tagger.pt")
    pretrain = Pretrain(str(compact_dir() / "pretrain.pt"))
    trainer = resume.trainer_from(model, Trainer)(args={"batch_size": 64}, vocab=None, pretrain=pretrain,
                                                    device="cpu")
    shipped = torch.load(model, map_location="cpu", weights_only=True)["model"]
    weights = trainer.model.state_dict()
    assert trainer.args["batch_size"] == 64
    assert shipped and all(torch.equal(weights[name], value.to(weights[name].dtype)) for name, value in shipped.items())

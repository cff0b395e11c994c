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


def test_export_ships_final_models_and_character_lms_in_half_precision(tmp_path):
    import torch

    work, models, out = tmp_path / "work", tmp_path / "work" / "models", tmp_path / "out"
    models.mkdir(parents=True)
    torch.save({"emb": torch.ones(2, 3)}, work / "it_kg.pretrain.pt")
    for name in ("tagger", "parser", "parser_checkpoint", "nertagger", "nertagger_base"):
        torch.save({"model": {"w": torch.full((2,), 0.1)}, "config": {"lr": 0.1}}, models / f"{train.SHORTHAND}_{name}.pt")
    charlm = {direction: work / "charlm" / f"{direction}.pt" for direction in ("forward", "backward")}
    charlm["forward"].parent.mkdir()
    for path in charlm.values():
        torch.save({"model": {"state_dict": {"w": torch.ones(2)}, "vocab": {"_id2unit": ["a"]}}}, path)
    train.export(work / "it_kg.pretrain.pt", models, out, charlm)
    assert sorted(p.name for p in out.iterdir()) == ["backward_charlm.pt", "forward_charlm.pt", "nertagger.pt",
                                                     "parser.pt", "pretrain.pt", "tagger.pt"]
    tagger = torch.load(out / "tagger.pt", weights_only=False)
    assert tagger["model"]["w"].dtype == torch.float16 and tagger["config"] == {"lr": 0.1}
    assert torch.load(out / "forward_charlm.pt", weights_only=False)["model"]["vocab"] == {"_id2unit": ["a"]}
    assert torch.load(out / "pretrain.pt", weights_only=False)["emb"].dtype == torch.float32


def test_single_words_are_the_forms_the_treebank_never_splits(tmp_path):
    treebank = tmp_path / "train.conllu"
    treebank.write_text("# text = Diversi esperti del Sud.\n"
                        "1\tDiversi\tdiverso\tDET\t_\t_\t2\tdet\t_\t_\n"
                        "2\tesperti\tesperto\tNOUN\t_\t_\t0\troot\t_\t_\n"
                        "3-4\tdel\t_\t_\t_\t_\t_\t_\t_\t_\n"
                        "3\tdi\tdi\tADP\t_\t_\t5\tcase\t_\t_\n"
                        "4\til\til\tDET\t_\t_\t5\tdet\t_\t_\n"
                        "5\tSud\tSud\tPROPN\t_\t_\t2\tnmod\t_\t_\n"
                        "6\tdel\tdel\tX\t_\t_\t2\tdep\t_\t_\n\n", encoding="utf-8")
    assert train.single_words(treebank) == ["diversi", "esperti", "sud"]   # "del" is split once
    out = tmp_path / "out"
    (tmp_path / "models").mkdir()
    (tmp_path / "pretrain.pt").write_bytes(b"vectors")
    train.export(tmp_path / "pretrain.pt", tmp_path / "models", out, ud_train=treebank)
    assert (out / "single_words.txt").read_text(encoding="utf-8").split() == ["diversi", "esperti", "sud"]
    assert (out / "word_classes.tsv").read_text(encoding="utf-8") == "esperti\tNOUN\n"


def test_word_classes_are_the_forms_the_treebank_has_only_as_nouns_or_only_as_adjectives(tmp_path):
    treebank = tmp_path / "train.conllu"
    rows = [("affollato", "ADJ"), ("seminario", "NOUN"), ("giovane", "ADJ"), ("giovane", "NOUN"),
            ("Seminario", "NOUN"), ("corre", "VERB")]
    treebank.write_text("".join(f"{i}\t{form}\t_\t{upos}\t_\t_\t0\troot\t_\t_\n"
                                for i, (form, upos) in enumerate(rows, start=1)) + "\n", encoding="utf-8")
    assert train.word_classes(treebank) == {"affollato": "ADJ", "seminario": "NOUN"}


def test_a_tagger_continues_the_start_model_with_the_character_lms_it_read(tmp_path):
    import torch

    start, work = tmp_path / "start", tmp_path / "work"
    start.mkdir()
    plan = train.Plan(tmp_path, work, train.BUDGETS["smoke"], {}, start)
    assert plan.continues("tagger") and plan.continues("parser") and plan.charlm == {}
    assert "--charlm" not in plan.stanza_args("tagger")
    for name in ("forward_charlm.pt", "backward_charlm.pt"):
        (start / name).write_bytes(b"lm")
    torch.save({"config": {"charlm": True}}, start / "tagger.pt")
    torch.save({"config": {"charlm": False}}, start / "nertagger.pt")
    assert plan.continues("tagger") and plan.continues("nertagger")
    assert "--charlm" in plan.stanza_args("tagger", base=plan.start_model("tagger"))
    assert "--charlm" not in plan.stanza_args("nertagger", lang=False, base=plan.start_model("nertagger"))
    assert "--charlm" in plan.stanza_args("nertagger_base", lang=False)  # a new tagger reads them
    (work / "charlm").mkdir(parents=True)
    for name in ("forward_charlm.pt", "backward_charlm.pt"):
        (work / "charlm" / name).write_bytes(b"lm")
    assert not plan.continues("tagger") and not plan.continues("nertagger") and plan.continues("parser")
    assert plan.trainer("tagger") == ["stanza.models.tagger"]
    args = plan.stanza_args("nertagger_base", lang=False)
    assert args[args.index("--charlm_forward_file") + 1] == str(work / "charlm" / "forward_charlm.pt")
    assert "--charlm" not in plan.stanza_args("parser")


def test_every_budget_names_every_stage():
    for budget in train.BUDGETS.values():
        assert set(budget.minutes()) == set(train.STAGES) and all(m > 0 for m in budget.minutes().values())


def test_budget_settings_can_be_overridden_by_name():
    budget = train.with_overrides(train.BUDGETS["cpu"], ["ner_finetune=60", "pos_batch=250", "ner_optim=adam"])
    assert (budget.ner_finetune, budget.pos_batch, budget.ner, budget.ner_optim) == (
        60.0, 250, train.BUDGETS["cpu"].ner, "adam")
    for bad in (["nope=1"], ["pos_batch=2.5"], ["pos=many"], ["ner_optim=rmsprop"]):
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
    from kg.parse import CHARLM_FILES, compact_dir

    model = str(compact_dir() / "tagger.pt")
    pretrain = Pretrain(str(compact_dir() / "pretrain.pt"))
    charlm = {f"charlm_{direction}_file": str(compact_dir() / name) for direction, name in CHARLM_FILES.items()}
    trainer = resume.trainer_from(model, Trainer)(args={"batch_size": 64, **charlm}, vocab=None, pretrain=pretrain,
                                                    device="cpu")
    shipped = torch.load(model, map_location="cpu", weights_only=True)["model"]
    weights = trainer.model.state_dict()
    assert trainer.args["batch_size"] == 64
    assert shipped and all(torch.equal(weights[name], value.to(weights[name].dtype)) for name, value in shipped.items())


def test_a_ner_fine_tune_uses_the_optimizer_it_is_given():
    """Stanza's ``--finetune`` rebuilds the optimizer from the saved model's
    settings (the shipped NER's SGD at 0.1), whatever the run asks for."""
    import torch
    from stanza.models.common.pretrain import Pretrain
    from stanza.models.ner.trainer import Trainer

    from kg import resume
    from kg.parse import compact_dir

    trainer = resume.trainer_with({"optim": "adam", "lr": 0.0003, "momentum": 0.0}, Trainer)(
        args={}, model_file=str(compact_dir() / "nertagger.pt"), pretrain=Pretrain(str(compact_dir() / "pretrain.pt")),
        device="cpu")
    assert isinstance(trainer.optimizer, torch.optim.Adam)
    assert trainer.optimizer.param_groups[0]["lr"] == 0.0003


def test_the_ner_trainer_stops_only_well_below_the_rate_it_starts_at():
    """Stanza stops NER training once the rate is at ``--min_lr`` (1e-4 by
    default): a fine-tune asked to run at 1e-4 would stop after one step."""
    for lr in (0.1, 0.001, 0.0001):
        args = train.ner_optimizer(train.with_overrides(train.BUDGETS["gpu"], [f"ner_lr={lr}"]))
        assert float(args[args.index("--min_lr") + 1]) < lr


@pytest.mark.models
def test_a_parser_trained_alone_from_a_start_runs_behind_the_start_tagger(tmp_path):
    # a run of the depparse stage alone retags its treebank with the start's tagger (it had
    # looked for one trained in this run); the parser itself is cut off at once
    from kg.parse import compact_dir

    sentence = ("# text = Il sindaco parla.\n1\tIl\til\tDET\tRD\t_\t2\tdet\t_\t_\n"
                "2\tsindaco\tsindaco\tNOUN\tS\t_\t3\tnsubj\t_\t_\n3\tparla\tparlare\tVERB\tV\t_\t0\troot\t_\t_\n"
                "4\t.\t.\tPUNCT\tFS\t_\t3\tpunct\t_\t_\n\n")
    ud = {}
    for split in ("train", "dev"):
        ud[split] = tmp_path / f"{split}.conllu"
        ud[split].write_text(sentence, encoding="utf-8")
    budget = train.with_overrides(train.BUDGETS["smoke"], ["depparse=0.01"])
    plan = train.Plan(tmp_path, tmp_path / "work", budget, ud, compact_dir())
    for d in (plan.models, plan.logs, plan.work / "ud"):
        d.mkdir(parents=True)
    train.train_tagger_then_parser(plan, ["depparse"])
    retagged = (plan.work / "ud" / "train.retag.conllu").read_text(encoding="utf-8")
    assert [line.split("\t")[3] for line in retagged.splitlines() if line[:1].isdigit()] == \
        ["DET", "NOUN", "VERB", "PUNCT"]

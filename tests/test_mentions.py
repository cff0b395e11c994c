"""Mentions and in-document entity merging, on small CoNLL-U documents."""
import datetime as dt

import pytest

from kg.mentions import _check_words, annotate, load_lexicon, normalize_name
from kg.parse import from_conllu
from kg.types import EVENT, ORGANIZATION, PERSON, PLACE, PROPOSAL, Word


def conllu(*sentences: str) -> str:
    """Sentences as 'form/UPOS/head/deprel/NER' tokens separated by spaces."""
    blocks = []
    for sentence in sentences:
        rows = []
        for i, token in enumerate(sentence.split(), start=1):
            form, upos, head, deprel, ner = token.split("/")
            rows.append("\t".join([str(i), form, form.lower(), upos, "_", "_", head, deprel, "_", f"NER={ner}"]))
        blocks.append("\n".join(rows))
    return "\n\n".join(blocks) + "\n\n"


def entities(*sentences, date=None):
    return annotate(from_conllu(conllu(*sentences), "doc", date=date))


def test_surname_joins_the_full_name_and_labels_keep_surface_forms():
    a = entities("Emmanuel/PROPN/3/nsubj/B-PER Macron/PROPN/1/flat:name/E-PER parla/VERB/0/root/O",
                 "Macron/PROPN/2/nsubj/S-PER ride/VERB/0/root/O")
    people = [e for e in a.entities if e.type == PERSON]
    assert [(p.label, p.alt_labels) for p in people] == [("Emmanuel Macron", ("Macron",))]
    assert a.word_entity[(1, 1)] == people[0].key


def test_ambiguous_surname_is_not_merged():
    a = entities("Mario/PROPN/3/nsubj/B-PER Rossi/PROPN/1/flat:name/E-PER parla/VERB/0/root/O",
                 "Luca/PROPN/3/nsubj/B-PER Rossi/PROPN/1/flat:name/E-PER ride/VERB/0/root/O",
                 "Rossi/PROPN/2/nsubj/S-PER esce/VERB/0/root/O")
    labels = sorted(e.label for e in a.entities if e.type == PERSON)
    assert labels == ["Luca Rossi", "Mario Rossi", "Rossi"]


def test_case_variants_are_one_organization_and_articles_are_dropped():
    a = entities("la/DET/2/det/O Coalizione/PROPN/0/root/B-ORG dei/ADP/4/case/I-ORG volenterosi/NOUN/2/nmod/E-ORG",
                 "La/DET/2/det/O Coalizione/PROPN/0/root/B-ORG dei/ADP/4/case/I-ORG Volenterosi/NOUN/2/nmod/E-ORG")
    orgs = [e for e in a.entities if e.type == ORGANIZATION]
    assert len(orgs) == 1 and orgs[0].label == "Coalizione dei volenterosi"
    assert "Coalizione dei Volenterosi" in orgs[0].alt_labels


def test_definite_event_noun_takes_up_the_last_event():
    a = entities("una/DET/2/det/O riunione/NOUN/0/root/O",
                 "L'/DET/2/det/O incontro/NOUN/3/nsubj/O dura/VERB/0/root/O")
    events = [e for e in a.entities if e.type == EVENT]
    assert len(events) == 1 and a.word_entity[(1, 2)] == events[0].key


def test_an_event_of_another_kind_is_a_new_event():
    # a concert after a fire is not the fire; a noun of no kind ("evento") may take either up
    a = entities("un/DET/2/det/O incendio/NOUN/0/root/O",
                 "Il/DET/2/det/O concerto/NOUN/3/nsubj/O dura/VERB/0/root/O",
                 "L'/DET/2/det/O evento/NOUN/3/nsubj/O finisce/VERB/0/root/O")
    events = [e for e in a.entities if e.type == EVENT]
    assert sorted(e.label for e in events) == ["concerto", "incendio"]
    assert a.word_entity[(2, 2)] == a.word_entity[(1, 2)]


def test_occasione_takes_up_an_event_but_never_names_it():
    a = entities("una/DET/2/det/O gara/NOUN/0/root/O",
                 "Per/ADP/3/case/O questa/DET/3/det/O occasione/NOUN/4/obl/O parla/VERB/0/root/O")
    [event] = [e for e in a.entities if e.type == EVENT]
    assert event.label == "gara" and a.word_entity[(1, 3)] == event.key


def test_indefinite_event_nouns_are_new_events():
    a = entities("una/DET/2/det/O riunione/NOUN/0/root/O", "una/DET/2/det/O riunione/NOUN/0/root/O")
    assert len([e for e in a.entities if e.type == EVENT]) == 2
    assert len({e.key for e in a.entities}) == len(a.entities)


def test_named_site_is_one_place():
    a = entities("al/ADP/2/case/O palazzo/NOUN/0/root/O dell'/ADP/4/case/O Eliseo/PROPN/2/nmod/S-LOC")
    assert [(e.type, e.label) for e in a.entities] == [(PLACE, "palazzo dell' Eliseo")]


def test_dateline_gives_document_date_and_place():
    text = conllu("Parigi/PROPN/0/root/S-LOC ,/PUNCT/1/punct/O 1°/NUM/4/nummod/O settembre/NOUN/1/nmod/O "
                  "2025/NUM/4/nummod/O –/PUNCT/1/punct/O oggi/ADV/1/advmod/O")
    a = annotate(from_conllu(text, "doc"))
    assert (a.document.date, a.document.place) == (dt.date(2025, 9, 1), "Parigi")
    assert a.word_date[(0, 7)] == dt.date(2025, 9, 1)


def test_dateline_place_names_where_the_article_was_filed_not_a_subject():
    a = entities("ROMA/PROPN/5/nsubj/S-LOC -/PUNCT/1/punct/O Mario/PROPN/5/nsubj/B-PER "
                 "Rossi/PROPN/3/flat:name/E-PER parla/VERB/0/root/O")
    assert a.document.place == "ROMA"
    assert [(e.type, e.label) for e in a.entities] == [(PERSON, "Mario Rossi")]


def test_role_nominal_refers_to_the_person_introduced_with_that_role():
    a = entities("il/DET/2/det/O presidente/NOUN/6/nsubj/O francese/ADJ/2/amod/O Emmanuel/PROPN/2/appos/B-PER "
                 "Macron/PROPN/4/flat:name/E-PER parla/VERB/0/root/O",
                 "il/DET/2/det/O presidente/NOUN/4/nsubj/O francese/ADJ/2/amod/O ride/VERB/0/root/O",
                 "il/DET/2/det/O presidente/NOUN/3/nsubj/O ride/VERB/0/root/O")
    macron = next(e for e in a.entities if e.label == "Emmanuel Macron")
    assert a.word_entity[(1, 2)] == macron.key
    assert a.word_entity[(2, 2)] == macron.key, "a bare role nominal takes up the one president named"


def test_bare_role_nominal_stays_unresolved_between_two_holders():
    a = entities("il/DET/2/det/O presidente/NOUN/6/nsubj/O francese/ADJ/2/amod/O Emmanuel/PROPN/2/appos/B-PER "
                 "Macron/PROPN/4/flat:name/E-PER incontra/VERB/0/root/O il/DET/8/det/O presidente/NOUN/6/obj/O "
                 "Joe/PROPN/8/appos/B-PER Biden/PROPN/9/flat:name/E-PER",
                 "il/DET/2/det/O presidente/NOUN/3/nsubj/O ride/VERB/0/root/O",
                 "il/DET/2/det/O pontefice/NOUN/3/nsubj/O ride/VERB/0/root/O")
    assert (1, 2) not in a.word_entity
    assert a.word_entity[(2, 2)] not in ("person/emmanuel macron", "person/joe biden")


def test_an_unnamed_unique_office_is_a_person_of_its_own():
    a = entities("il/DET/2/det/O Papa/NOUN/4/nsubj/O ha/AUX/4/aux/O detto/VERB/0/root/O",
                 "il/DET/2/det/O pontefice/NOUN/3/nsubj/O prega/VERB/0/root/O")
    pope = a.word_entity[(0, 2)]
    assert a.word_entity[(1, 2)] == pope and next(e for e in a.entities if e.key == pope).label == "Papa"


def test_an_office_stays_unresolved_when_an_untitled_person_may_hold_it():
    a = entities("Joseph/PROPN/3/nsubj/B-PER Ratzinger/PROPN/1/flat:name/E-PER prega/VERB/0/root/O",
                 "il/DET/2/det/O pontefice/NOUN/3/nsubj/O ride/VERB/0/root/O")
    assert (1, 2) not in a.word_entity


def test_normalize_name():
    assert normalize_name("  L’Eliseo ") == normalize_name("l'eliseo") == "eliseo"


def test_article_stripping_keeps_words_that_start_like_articles():
    from kg.mentions import strip_article

    assert [strip_article(t) for t in ("l'Unione Europea", "Unione Europea", "Italia", "la Lega", "Il Cairo",
                                       "Lo Stato", "un incontro", "l’incontro")] == \
        ["Unione Europea", "Unione Europea", "Italia", "Lega", "Cairo", "Stato", "incontro", "incontro"]


def test_hyphenated_name_split_by_the_tokenizer_is_one_person():
    rows = [("Jean", "B-PER", "No"), ("-", "O", "No"), ("Louis", "B-PER", ""), ("Georgelin", "E-PER", ""),
            ("parla", "O", "")]
    text = "\n".join(f"{i}\t{form}\t{form}\t{'VERB' if form == 'parla' else 'PROPN'}\t_\t_\t"
                     f"{0 if form == 'parla' else 5}\t{'root' if form == 'parla' else 'nsubj'}\t_\t"
                     f"NER={ner}" + ("|SpaceAfter=No" if space == "No" else "")
                     for i, (form, ner, space) in enumerate(rows, start=1))
    a = annotate(from_conllu(text + "\n\n", "doc"))
    assert [e.label for e in a.entities if e.type == PERSON] == ["Jean-Louis Georgelin"]


def test_dropped_subject_is_the_previous_sentence_subject_only_when_nothing_else_can_be():
    from kg.build import extract

    doc = from_conllu(conllu(
        "Mario/PROPN/3/nsubj/B-PER Draghi/PROPN/1/flat:name/E-PER incontra/VERB/0/root/O "
        "Olaf/PROPN/3/obj/B-PER Scholz/PROPN/4/flat:name/E-PER",
        "Ha/AUX/2/aux/O dichiarato/VERB/0/root/O che/SCONJ/5/mark/O accordo/NOUN/5/nsubj/O "
        "regge/VERB/2/ccomp/O",
        "Il/DET/2/det/O governo/NOUN/4/nsubj/O ha/AUX/4/aux/O dichiarato/VERB/0/root/O "
        "che/SCONJ/6/mark/O regge/VERB/4/ccomp/O"), "doc")
    # lemmas, person and number (on the auxiliary) as Stanza gives them
    doc = from_conllu(conllu_with_feats(doc), "doc")
    a = annotate(doc)
    draghi = next(e.key for e in a.entities if e.label == "Mario Draghi")
    assert a.implicit_subject == {(1, 2): draghi}
    says = [f for f in extract([doc]).facts if f.predicate == "says"]
    # "il governo" is a speaker of its own (an institution noun), never Draghi
    assert sorted((f.subject, f.provenance.sentence) for f in says) == [("doc/organization/governo", 2), (draghi, 1)]


def conllu_with_feats(doc):
    from kg.parse import to_conllu

    return to_conllu(doc).replace("\tha\tha\tAUX\t_\t_\t", "\tha\tavere\tAUX\t_\tNumber=Sing|Person=3\t") \
        .replace("\tHa\tha\tAUX\t_\t_\t", "\tHa\tavere\tAUX\t_\tNumber=Sing|Person=3\t") \
        .replace("\tdichiarato\tdichiarato\t", "\tdichiarato\tdichiarare\t")


def test_participle_between_commas_does_not_make_an_event_noun_new():
    a = entities("una/DET/2/det/O riunione/NOUN/0/root/O",
                 "L'/DET/2/det/O incontro/NOUN/0/root/O ,/PUNCT/4/punct/O annunciato/VERB/2/acl/O")
    assert a.word_entity[(1, 2)] == a.word_entity[(0, 2)]
    assert len([e for e in a.entities if e.type == EVENT]) == 1


def test_a_hyphenated_particle_read_as_a_contraction_goes_back_to_its_name():
    # "al-Maliki": the tokenizer expands "al" to "a il" and leaves "-Maliki" alone
    rows = ["1\tIl\til\tDET\t_\t_\t2\tdet\t_\tNER=O",
            "2\tpremier\tpremier\tNOUN\t_\t_\t7\tnsubj\t_\tNER=O",
            "3\tNuri\tNuri\tPROPN\t_\t_\t2\tnmod\t_\tNER=S-PER",
            "4-5\tal\t_\t_\t_\t_\t_\t_\t_\tSpaceAfter=No|NER=O",
            "4\ta\ta\tADP\t_\t_\t6\tcase\t_\t_",
            "5\til\til\tDET\t_\t_\t6\tdet\t_\t_",
            "6\t-Maliki\t-Maliki\tPROPN\t_\t_\t2\tnmod\t_\tNER=S-ORG",
            "7\tparla\tparlare\tVERB\t_\t_\t0\troot\t_\tNER=O"]
    a = annotate(from_conllu("\n".join(rows) + "\n\n", "doc"))
    assert [(e.type, e.label) for e in a.entities] == [(PERSON, "Nuri al-Maliki")]
    assert {a.word_entity[(0, i)] for i in (3, 4, 5, 6)} == {"person/nuri al-maliki"}


def test_an_event_is_labelled_with_the_adjectives_after_its_noun():
    a = entities("un/DET/2/det/O incidente/NOUN/0/root/O stradale/ADJ/2/amod/O")
    [event] = [e for e in a.entities if e.type == EVENT]
    assert event.label == "incidente stradale" and "incidente" in event.alt_labels


def test_a_body_ends_before_the_preposition_that_leads_to_another_name():
    a = entities("la/DET/2/det/O sezione/NOUN/0/root/O terza/ADJ/2/amod/O di/ADP/6/case/O il/DET/6/det/O "
                 "Tribunale/PROPN/2/nmod/S-ORG")
    assert sorted(e.label for e in a.entities if e.type == ORGANIZATION) == ["Tribunale", "sezione terza"]


def test_two_offices_with_one_head_noun_are_two_people():
    lexicon = load_lexicon()
    assert not lexicon.same_office(("presidente", "di", "consiglio"), ("presidente", "di", "repubblica"))
    assert lexicon.same_office(("presidente", "di", "consiglio"), ("presidente",))


def test_a_demonym_the_lemmatizer_got_wrong_is_read_from_its_written_form():
    lexicon = load_lexicon()
    word = Word(3, "venezuelano", "venezuere", "VERB", "_", 2, "amod", 14, 25)
    assert lexicon.country_of(word) == lexicon.country_of(Word(3, "venezuelana", "venezuelano", "ADJ", "_", 2,
                                                                "amod", 14, 25)) == "Venezuela"
    assert lexicon.country_of(Word(3, "vincente", "vincere", "VERB", "_", 2, "amod", 14, 22)) is None


def test_a_profession_noun_stands_for_the_name_after_its_complements():
    a = entities("il/DET/2/det/O critico/NOUN/0/root/O d'/ADP/4/case/O arte/NOUN/2/nmod/O "
                 "Carlo/PROPN/4/nmod/B-PER Neri/PROPN/5/flat:name/E-PER")
    assert a.word_entity[(0, 2)] == a.word_entity[(0, 5)] == "person/carlo neri"


def test_a_date_taken_for_a_subject_leaves_the_real_one_to_share():
    # "Neri, l'11 gennaio, aveva provato ... annunciando": the parser makes the date a second nsubj
    rows = ["1\tNeri\tNeri\tPROPN\t_\t_\t4\tnsubj\t_\tNER=S-PER",
            "2\tl'\til\tDET\t_\t_\t3\tdet\t_\tNER=O",
            "3\t11\t11\tNUM\t_\t_\t4\tnsubj\t_\tNER=O",
            "4\tprovato\tprovare\tVERB\t_\tVerbForm=Part\t0\troot\t_\tNER=O",
            "5\tannunciando\tannunciare\tVERB\t_\tVerbForm=Ger\t4\tadvcl\t_\tNER=O",
            "6\tle\til\tDET\t_\t_\t7\tdet\t_\tNER=O",
            "7\tdimissioni\tdimissione\tNOUN\t_\t_\t5\tobj\t_\tNER=O"]
    a = annotate(from_conllu("\n".join(rows) + "\n\n", "doc"))
    assert a.implicit_subject[(0, 5)] == "person/neri"


def rows_document(*sentences: list[str]):
    return annotate(from_conllu("\n\n".join("\n".join(rows) for rows in sentences) + "\n\n", "doc"))


def test_a_vote_without_an_object_is_on_the_proposal_under_discussion():
    proposal = ["1\tLa\til\tDET\t_\t_\t2\tdet\t_\tNER=O",
                "2\tmozione\tmozione\tNOUN\t_\t_\t3\tnsubj\t_\tNER=O",
                "3\tarriva\tarrivare\tVERB\t_\t_\t0\troot\t_\tNER=O"]
    vote = ["1\tLega\tLega\tPROPN\t_\t_\t2\tnsubj\t_\tNER=S-ORG",
            "2\tvota\tvotare\tVERB\t_\t_\t0\troot\t_\tNER=O",
            "3\ta\ta\tADP\t_\t_\t4\tcase\t_\tNER=O",
            "4\tfavore\tfavore\tNOUN\t_\t_\t2\tobl\t_\tNER=O"]
    other = ["1\tPiove\tpiovere\tVERB\t_\t_\t0\troot\t_\tNER=O"]
    a = rows_document(proposal, vote)
    [mozione] = [e.key for e in a.entities if e.type == PROPOSAL]
    assert a.implicit_object == {(1, 2): (mozione, "")}
    # two sentences on, the proposal is no longer the one under discussion
    assert rows_document(proposal, other, other, vote).implicit_object == {}
    # "a favore del sindaco": the vote has its object
    for_someone = vote + ["5\tdi\tdi\tADP\t_\t_\t6\tcase\t_\tNER=O",
                          "6\tNeri\tNeri\tPROPN\t_\t_\t4\tnmod\t_\tNER=S-PER"]
    assert rows_document(proposal, for_someone).implicit_object == {}


def test_a_coordinated_verb_shares_the_one_known_subject_of_two():
    # "«Titolo», la mostra si è tenuta ... e ha ricevuto": the title is a second nsubj
    a = entities("Espressionismo/PROPN/5/nsubj:pass/O ,/PUNCT/1/punct/O la/DET/4/det/O mostra/NOUN/5/nsubj:pass/O "
                 "tenuta/VERB/0/root/O e/CCONJ/7/cc/O ricevuto/VERB/5/conj/O")
    [event] = [e for e in a.entities if e.type == EVENT]
    assert a.implicit_subject[(0, 7)] == event.key


def test_an_arabic_article_read_as_a_contraction_stays_in_a_groups_name():
    # "il leader di Al Qaeda": the tokenizer expands "Al" to "a il"
    rows = ["1\til\til\tDET\t_\t_\t2\tdet\t_\tNER=O",
            "2\tleader\tleader\tNOUN\t_\t_\t0\troot\t_\tNER=O",
            "3\tdi\tdi\tADP\t_\t_\t6\tcase\t_\tNER=O",
            "4-5\tAl\t_\t_\t_\t_\t_\t_\t_\tNER=B-ORG",
            "4\ta\ta\tADP\t_\t_\t6\tcase\t_\t_",
            "5\til\til\tDET\t_\t_\t6\tdet\t_\t_",
            "6\tQaeda\tQaeda\tPROPN\t_\t_\t2\tnmod\t_\tNER=E-ORG"]
    a = annotate(from_conllu("\n".join(rows) + "\n\n", "doc"))
    assert [(e.type, e.label) for e in a.entities] == [(ORGANIZATION, "Al Qaeda")]


def test_a_reflexive_verb_agreeing_with_its_subject_has_dropped_it():
    # "Anna Galli ha parlato. Poi si è recata a Roma.": "si" with a feminine participle is no impersonal
    rows = ["1\tAnna\tAnna\tPROPN\t_\t_\t4\tnsubj\t_\tNER=B-PER",
            "2\tGalli\tGalli\tPROPN\t_\t_\t1\tflat:name\t_\tNER=E-PER",
            "3\tha\tavere\tAUX\t_\tNumber=Sing|Person=3\t4\taux\t_\tNER=O",
            "4\tparlato\tparlare\tVERB\t_\tVerbForm=Part\t0\troot\t_\tNER=O",
            "",
            "1\tPoi\tpoi\tADV\t_\t_\t4\tadvmod\t_\tNER=O",
            "2\tsi\tsi\tPRON\t_\t_\t4\texpl\t_\tNER=O",
            "3\tè\tessere\tAUX\t_\tNumber=Sing|Person=3\t4\taux\t_\tNER=O",
            "4\trecata\trecare\tVERB\t_\tGender=Fem|Number=Sing|VerbForm=Part\t0\troot\t_\tNER=O",
            "5\ta\ta\tADP\t_\t_\t6\tcase\t_\tNER=O",
            "6\tRoma\tRoma\tPROPN\t_\t_\t4\tobl\t_\tNER=S-LOC"]
    a = annotate(from_conllu("\n".join(rows) + "\n\n", "doc"))
    assert a.implicit_subject[(1, 4)] == "person/anna galli"


def test_a_name_inside_a_phrase_before_the_verb_is_no_subject_of_it():
    # "Anna Galli parla. Insieme al presidente del Senato Carlo Neri è poi partita."
    rows = ["1\tAnna\tAnna\tPROPN\t_\t_\t3\tnsubj\t_\tNER=B-PER",
            "2\tGalli\tGalli\tPROPN\t_\t_\t1\tflat:name\t_\tNER=E-PER",
            "3\tparla\tparlare\tVERB\t_\tNumber=Sing|Person=3\t0\troot\t_\tNER=O",
            "",
            "1\tInsieme\tinsieme\tADV\t_\t_\t3\tcase\t_\tNER=O",
            "2\til\til\tDET\t_\t_\t3\tdet\t_\tNER=O",
            "3\tpresidente\tpresidente\tNOUN\t_\t_\t9\tobl\t_\tNER=O",
            "4\tdel\tdi\tADP\t_\t_\t5\tcase\t_\tNER=O",
            "5\tSenato\tSenato\tPROPN\t_\t_\t3\tnmod\t_\tNER=S-ORG",
            "6\tCarlo\tCarlo\tPROPN\t_\t_\t5\tflat:name\t_\tNER=B-PER",
            "7\tNeri\tNeri\tPROPN\t_\t_\t6\tflat:name\t_\tNER=E-PER",
            "8\tè\tessere\tAUX\t_\tNumber=Sing|Person=3\t9\taux\t_\tNER=O",
            "9\tpartita\tpartire\tVERB\t_\tGender=Fem|Number=Sing|VerbForm=Part\t0\troot\t_\tNER=O"]
    a = annotate(from_conllu("\n".join(rows) + "\n\n", "doc"))
    assert a.implicit_subject[(1, 9)] == "person/anna galli"


def test_a_regular_participle_gives_its_infinitive_where_the_lemmatizer_took_it_for_a_noun():
    from kg.mentions import verb_lemmas
    from kg.types import Word

    def participle(form: str, lemma: str) -> Word:
        return Word(id=1, text=form, lemma=lemma, upos="VERB", feats="VerbForm=Part", head=0, deprel="root",
                    start_char=0, end_char=len(form))

    assert verb_lemmas(participle("comunicato", "comunicato")) == {"comunicato", "comunicare"}
    assert verb_lemmas(participle("Riferita", "riferire")) == {"riferire"}
    assert verb_lemmas(participle("detto", "dire")) == {"dire"}     # irregular: the lemma alone


def test_a_lexicon_word_yaml_reads_as_a_boolean_is_refused() -> None:
    load_lexicon()  # the shipped lexicon's words are all text ("on", the title, is quoted)
    with pytest.raises(ValueError, match=r"lexicon.yaml: honorifics: True is not a word \(quote it\)"):
        _check_words("honorifics", ["don", True])


def test_a_verb_that_opens_the_sentence_is_no_part_of_the_name_after_it():
    rows = [("Tuona", "tuonare", "VERB", "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin", 0, "root", "B-PER"),
            ("Mario", "Mario", "PROPN", "_", 1, "obj", "I-PER"),
            ("Rossi", "Rossi", "PROPN", "_", 2, "flat:name", "E-PER")]
    text = "\n".join("\t".join([str(i), form, lemma, upos, "_", feats, str(head), deprel, "_", f"NER={ner}"])
                     for i, (form, lemma, upos, feats, head, deprel, ner) in enumerate(rows, start=1))
    people = [e.label for e in annotate(from_conllu(text + "\n\n", "doc")).entities if e.type == PERSON]
    assert people == ["Mario Rossi"]

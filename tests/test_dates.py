import datetime as dt

import pytest

from kg.dates import find_dates, parse_dateline

REF = dt.date(2025, 9, 1)  # a Monday


@pytest.mark.parametrize("text, place, date", [
    ("Parigi, 1° settembre 2025 – Il presidente ha parlato.", "Parigi", dt.date(2025, 9, 1)),
    ("ROMA, 12 marzo 2024 - Il governo ha approvato", "ROMA", dt.date(2024, 3, 12)),
    ("Bruxelles, martedì 3 giugno 2025 — I ministri", "Bruxelles", dt.date(2025, 6, 3)),
])
def test_dateline(text, place, date):
    dateline = parse_dateline(text)
    assert (dateline.place, dateline.date) == (place, date)
    assert text[dateline.end:].lstrip().startswith(("Il ", "I "))


@pytest.mark.parametrize("text, place", [
    ("ROMA - Il governo ha approvato", "ROMA"),
    ("WASHINGTON, DC - nel suo discorso il presidente", "WASHINGTON"),
    ("REGGIO EMILIA – I carabinieri", "REGGIO EMILIA"),
])
def test_dateline_of_a_place_alone(text, place):
    assert parse_dateline(text).place == place
    assert parse_dateline(text).date is None


@pytest.mark.parametrize("text", [
    "Il 3 marzo 2024 il governo ha approvato la legge.",
    "Roma - Lazio finisce due a uno.",
    "USA - Cina, accordo sui dazi",
])
def test_no_dateline(text):
    assert parse_dateline(text) is None


@pytest.mark.parametrize("text, expected", [
    ("giovedì 4 settembre", dt.date(2025, 9, 4)),
    ("oggi", REF),
    ("ieri", dt.date(2025, 8, 31)),
    ("domani", dt.date(2025, 9, 2)),
    ("stamane", REF),
    ("giovedì prossimo", dt.date(2025, 9, 4)),
    ("lunedì prossimo", dt.date(2025, 9, 8)),
    ("venerdì scorso", dt.date(2025, 8, 29)),
    ("il 12 marzo 2024", dt.date(2024, 3, 12)),
    ("il 30 dicembre", dt.date(2025, 12, 30)),
    ("il 28 agosto", dt.date(2025, 8, 28)),
    ("12/03/2024", dt.date(2024, 3, 12)),
    ("dal 16 al 20 novembre 2010", dt.date(2010, 11, 16)),
    ("dall'1 al 3 settembre", dt.date(2025, 9, 1)),
    ("dal 9 e al 10 maggio 2015", dt.date(2015, 5, 9)),
])
def test_expressions_resolve_against_document_date(text, expected):
    spans = find_dates(text, REF)
    assert [s.date for s in spans] == [expected]


@pytest.mark.parametrize("text, words", [
    ("è morto la notte del 3 marzo 2001", "notte del 3 marzo 2001"),
    ("la sera di sabato 24 dicembre 2016", "sera di sabato 24 dicembre 2016"),
    ("nella mattinata dell'8 marzo", "mattinata dell'8 marzo"),
])
def test_a_part_of_the_day_is_dated_with_its_day(text, words):
    # the noun is what the parser hangs on the verb ("è morto la notte del ...")
    assert [s.text for s in find_dates(text, REF)] == [words]


@pytest.mark.parametrize("text, expected", [
    ("il 12 luglio del 2006", dt.date(2006, 7, 12)),
    ("il 3 giugno del '81 fu arrestato", dt.date(1981, 6, 3)),
    ("il 3 marzo dell'85.", dt.date(1985, 3, 3)),
    ("il 5 ottobre del sessantotto, occupò", dt.date(1968, 10, 5)),
    ("(12 marzo novantadue)", dt.date(1992, 3, 12)),
    ("nato il 4 marzo ottantuno", dt.date(1981, 3, 4)),
    ("il 21 aprile 97 a Bologna", dt.date(1997, 4, 21)),
    # a two-digit year of this century where the document's date allows it
    ("il 5 maggio '20, a Roma", dt.date(2020, 5, 5)),
    # a bare number before a noun counts something: no year
    ("il 3 maggio 20 persone", dt.date(2025, 5, 3)),
])
def test_years_written_short_or_in_words(text, expected):
    assert [s.date for s in find_dates(text, REF)] == [expected]


def test_without_reference_only_absolute_dates_resolve():
    assert [s.date for s in find_dates("oggi e il 3 marzo 2024, giovedì", None)] == [dt.date(2024, 3, 3)]


def test_impossible_dates_are_ignored():
    assert find_dates("il 31 febbraio 2024", REF) == []


@pytest.mark.parametrize("text, dated", [
    ("Restano, ad oggi, solo ipotesi.", []),
    ("Fino a oggi nessuno ha risposto.", []),
    ("Al giorno d'oggi si viaggia di più.", []),
    ("Il vertice si terrà oggi a Roma.", ["oggi"]),
    ("La riunione di oggi è stata rinviata a domani.", ["oggi", "domani"]),
])
def test_today_up_to_now_is_no_day(text, dated):
    assert [span.text for span in find_dates(text, REF)] == dated


@pytest.mark.parametrize("text, dated", [
    ("La morte è avvenuta venerdì 19 alle 22.30.", [("venerdì 19", dt.date(2025, 9, 19))]),
    ("Si è votato domenica 31.", [("domenica 31", dt.date(2025, 8, 31))]),
    # no Tuesday the 13th near the document's day: no date, not the weekday alone
    ("Il vertice di martedì 13 è saltato.", []),
])
def test_a_weekday_with_a_day_of_the_month_is_the_nearest_such_day(text, dated):
    assert [(span.text, span.date) for span in find_dates(text, REF)] == dated

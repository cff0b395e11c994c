"""Italian date expressions, normalized against a document date.

Used by the mentions stage: a dateline ("Parigi, 1° settembre 2025 –", or a
place alone in capitals, "WASHINGTON, DC -") gives the document's place and
date, and expressions in sentences ("giovedì 4 settembre", "oggi", "ieri",
"giovedì prossimo", "il 12 marzo 2024", "il 3 giugno dell'81", "il 12 marzo
novantadue") become ISO dates.  Weekday names
alone resolve to the nearest such day after the document date unless marked
as past ("scorso").
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name: i for i, name in enumerate(
    ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
     "settembre", "ottobre", "novembre", "dicembre"], start=1)}
WEEKDAYS = {name: i for i, name in enumerate(
    ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"])}
RELATIVE_DAYS = {"oggi": 0, "ieri": -1, "domani": 1, "dopodomani": 2, "l'altro ieri": -2,
                 "l’altro ieri": -2, "altroieri": -2, "stamani": 0, "stamane": 0, "stamattina": 0,
                 "stasera": 0, "stanotte": 0}
# "this morning", "tonight": one word made of "sta" and a part of the day
THIS_DAY_ADVERBS = frozenset(day for day in RELATIVE_DAYS if day.startswith("sta"))

_WEEKDAY = r"(?:lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica|lunedi|martedi|mercoledi|giovedi|venerdi)"
_MONTH = "(?:" + "|".join(MONTHS) + ")"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:°|º)?"
# "la notte del 3 marzo", "la sera di sabato 24 dicembre": a part of the day names the day,
# so the noun a verb takes as its time is dated too
_PART_OF_DAY = r"(?:mattina|mattinata|pomeriggio|sera|serata|notte|nottata|giornata)\s+(?:del\s+|dell['’]\s*|di\s+)"
_TENS = {"venti": 20, "trenta": 30, "quaranta": 40, "cinquanta": 50, "sessanta": 60, "settanta": 70,
         "ottanta": 80, "novanta": 90}
_UNITS = {"uno": 1, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7, "otto": 8, "nove": 9}
_TEENS = ["dieci", "undici", "dodici", "tredici", "quattordici", "quindici", "sedici", "diciassette",
          "diciotto", "diciannove"]
# the years of a century in words ("il 5 ottobre del sessantotto"); a ten drops its
# vowel before "uno" and "otto" ("ottantuno", "novantotto")
YEAR_WORDS = {**{word: 10 + i for i, word in enumerate(_TEENS)}, **_TENS,
              **{(ten[:-1] if unit in ("uno", "otto") else ten) + ("tré" if unit == "tre" else unit): value + n
                 for ten, value in _TENS.items() for unit, n in _UNITS.items()}}
# a year: four digits, or two after an apostrophe ("dell'81"), in words, or bare before a
# pause or a place ("il 21 aprile 97 a Bologna", not "il 3 maggio 20 persone"); "del" may lead
_YEAR = (r"(?:\s+|\s+del\s+|\s+dell['’]\s*)(?P<year>\d{4}|['’]\d{2}|"
         r"\d{2}(?=\s*(?:[,;.:)]|$)|\s+(?:a|ad|in|nel|presso)\s)|" + "|".join(sorted(YEAR_WORDS, key=len, reverse=True)) + ")")
_ABSOLUTE = re.compile(
    rf"\b(?:{_PART_OF_DAY})?(?:(?P<wd>{_WEEKDAY})\s+)?(?P<day>{_DAY})\s+(?P<month>{_MONTH})(?:{_YEAR})?\b",
    re.IGNORECASE)
# "dal 16 al 20 novembre 2010", "dall'1 e al 3 giugno": a span of days is dated by its first
_RANGE = re.compile(
    rf"\bdal(?:l['’]\s*|\s+)(?P<first>{_DAY})\s+(?:e\s+)?al(?:l['’]\s*|\s+)(?P<day>{_DAY})\s+(?P<month>{_MONTH})"
    rf"(?:{_YEAR})?\b", re.IGNORECASE)
_NUMERIC = re.compile(r"\b(?P<day>[12]\d|3[01]|0?[1-9])/(?P<month>1[0-2]|0?[1-9])/(?P<year>\d{4})\b")
# "venerdì 19": a weekday and a day of the month, the month left to the reader
_WEEKDAY_DAY = re.compile(rf"\b(?P<wd>{_WEEKDAY})\s+(?P<day>{_DAY})\b(?!\s*(?:{_MONTH}|[/.:,]\d))", re.IGNORECASE)
_WEEKDAY_ONLY = re.compile(
    rf"\b(?P<wd>{_WEEKDAY})(?:\s+(?P<mod>prossim[oa]|scors[oa]))?\b", re.IGNORECASE)
# "ad oggi", "fino a oggi", "al giorno d'oggi": up to now, or nowadays, not a day
_UP_TO_NOW = re.compile(r"(?:\bad?|\bd['’])\s*$", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?:" + "|".join(sorted(RELATIVE_DAYS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_DATELINE = re.compile(
    rf"^\s*(?P<place>[A-ZÀ-Þ][\w'’.\- ]{{1,40}}?)\s*(?:\([A-Za-z]+\)\s*)?,\s*(?:{_WEEKDAY}\s+)?"
    rf"(?P<day>{_DAY})\s+(?P<month>{_MONTH})\s+(?P<year>\d{{4}})\s*[–—\-:]",
    re.IGNORECASE)
# Without a date only a place in capitals before a dash is a dateline ("ROMA -",
# "WASHINGTON, DC -"): "Roma - Lazio" in running text is not, nor is a headline's
# "USA - Cina" (four letters at least).
_PLACE_DATELINE = re.compile(r"^\s*(?P<place>[A-ZÀ-Þ]{2}[A-ZÀ-Þ'’. ]{2,40}?)(?:,\s*[A-Z]{2,4}|\s*\([A-Za-z]+\))?\s+[–—\-]\s")


@dataclass(frozen=True)
class Dateline:
    place: str
    date: dt.date | None
    end: int            # character offset just past the dateline's dash


@dataclass(frozen=True)
class DateSpan:
    start: int          # character offsets in the text searched
    end: int
    date: dt.date
    text: str


def _weekday_index(name: str) -> int:
    return WEEKDAYS.get(name.lower(), WEEKDAYS.get(name.lower()[:-1] + "ì", 0))


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_dateline(text: str) -> Dateline | None:
    """The news dateline at the start of ``text``: its place, and its date if it gives one."""
    match = _DATELINE.match(text)
    if match:
        date = _safe_date(int(match["year"]), MONTHS[match["month"].lower()], int(match["day"].rstrip("°º")))
        return Dateline(match["place"].strip(), date, match.end()) if date else None
    match = _PLACE_DATELINE.match(text)
    return Dateline(match["place"].strip(), None, match.end()) if match else None


def find_dates(text: str, reference: dt.date | None) -> list[DateSpan]:
    """Every date expression in ``text`` that can be normalized.  Without a
    reference date only expressions with an explicit year resolve."""
    spans: list[DateSpan] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, date: dt.date | None) -> None:
        if date and not any(s < end and start < e for s, e in taken):
            taken.append((start, end))
            spans.append(DateSpan(start, end, date, text[start:end]))

    # a range first, so that its last day is not read as a date of its own
    for pattern, day_group in ((_RANGE, "first"), (_ABSOLUTE, "day")):
        for m in pattern.finditer(text):
            month, day = MONTHS[m["month"].lower()], int(m[day_group].rstrip("°º"))
            if m["year"]:
                add(m.start(), m.end(), _safe_date(_year(m["year"], reference), month, day))
            elif reference:
                add(m.start(), m.end(), _nearest_year(reference, month, day, m.groupdict().get("wd")))
    for m in _NUMERIC.finditer(text):
        add(m.start(), m.end(), _safe_date(int(m["year"]), int(m["month"]), int(m["day"])))
    if reference:
        for m in _RELATIVE.finditer(text):
            if m.group(0).lower() == "oggi" and _UP_TO_NOW.search(text, 0, m.start()):
                continue
            offset = RELATIVE_DAYS[m.group(0).lower().replace("’", "'")]
            add(m.start(), m.end(), reference + dt.timedelta(days=offset))
        for m in _WEEKDAY_DAY.finditer(text):
            date = _weekday_and_day(reference, _weekday_index(m["wd"]), int(m["day"].rstrip("°º")))
            if date is None:  # no such day near the document's: no date, not the weekday alone
                taken.append((m.start(), m.end()))
            add(m.start(), m.end(), date)
        for m in _WEEKDAY_ONLY.finditer(text):
            add(m.start(), m.end(), _weekday_date(reference, _weekday_index(m["wd"]), (m["mod"] or "").lower()))
    return sorted(spans, key=lambda s: s.start)


def _year(written: str, reference: dt.date | None) -> int:
    """A year as written: "2006"; "'81", "97", "sessantotto" name a year of the latest
    century that does not put it after the document's date (the 1900s without one)."""
    written = written.lower().lstrip("'’")
    if len(written) == 4:
        return int(written)
    short = int(written) if written.isdigit() else YEAR_WORDS[written]
    return 2000 + short if reference and 2000 + short <= reference.year else 1900 + short


def _nearest_year(reference: dt.date, month: int, day: int, weekday: str | None) -> dt.date | None:
    """A day and month without a year: the candidate year closest to the
    reference date, preferring one whose weekday matches when a weekday is given."""
    candidates = [d for y in (reference.year - 1, reference.year, reference.year + 1)
                  if (d := _safe_date(y, month, day))]
    if weekday:
        matching = [d for d in candidates if d.weekday() == _weekday_index(weekday)]
        candidates = matching or candidates
    return min(candidates, key=lambda d: abs((d - reference).days), default=None)


def _weekday_and_day(reference: dt.date, weekday: int, day: int) -> dt.date | None:
    """The date nearest the reference (within some six weeks) that falls on that weekday and
    day of the month: "venerdì 19" read on Saturday 20 February 2016 is the day before."""
    candidates = [d for offset in range(-45, 46) if (d := reference + dt.timedelta(days=offset)).day == day
                  and d.weekday() == weekday]
    return min(candidates, key=lambda d: abs((d - reference).days), default=None)


def _weekday_date(reference: dt.date, weekday: int, modifier: str) -> dt.date:
    if modifier.startswith("scors"):
        back = (reference.weekday() - weekday) % 7 or 7
        return reference - dt.timedelta(days=back)
    ahead = (weekday - reference.weekday()) % 7
    if modifier.startswith("prossim") and ahead == 0:
        ahead = 7
    return reference + dt.timedelta(days=ahead)

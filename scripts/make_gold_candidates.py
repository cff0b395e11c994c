#!/usr/bin/env python3
"""Helper for building tests/gold/*.jsonl: extract candidate sentences.

Reconstructs sentence text from KIND wikinews_train.tsv (token TAB tag) and
reads `# text` lines from UD Italian treebanks (excluding the ISDT test set),
then lists sentences that contain relation cue words, with a score, so a
human can pick and annotate them.  Nothing here annotates automatically.

Usage:
  python scripts/make_gold_candidates.py dump  > /tmp/sents.tsv    # source, id, text
  python scripts/make_gold_candidates.py grep REGEX [--ctx N]        # show matches + context
  python scripts/make_gold_candidates.py validate tests/gold/*.jsonl [--names] # format check + counts
  dump and grep take --kind PATH to read another KIND TSV (default: wikinews_train.tsv)

KIND sentence ids are "lineN": the TSV line number of the sentence's first token.
"""
import re
import sys
from pathlib import Path

DATA = Path("/work/shared/data")
KIND = DATA / "kind/dataset/wikinews_train.tsv"
UD_FILES = [
    "UD_Italian-ISDT/it_isdt-ud-dev.conllu",
    "UD_Italian-VIT/it_vit-ud-dev.conllu",
    "UD_Italian-VIT/it_vit-ud-test.conllu",
    "UD_Italian-ParTUT/it_partut-ud-train.conllu",
    "UD_Italian-ParTUT/it_partut-ud-dev.conllu",
    "UD_Italian-ParTUT/it_partut-ud-test.conllu",
]
# never read by default: kind wikinews_test.tsv (= evalita-2023/WN_dev.tsv, the NER test set; only
# dev items from dev-270 on take text from it, through --kind), UD_Italian-ISDT/it_isdt-ud-test.conllu
# (parser test)


ELIDED = re.compile(
    r"^(?:[a-zà-ù]*l|[a-zà-ù]*nt|un|d|c|s|m|t|v|n|quest|bell|sant|tutt|mezz|nessun|ciascun|grand"
    r"|buon|qual|com|dov|anch|ch|senz|nient|cent)['’]$", re.I)


def detok(tokens):
    """Rebuild sentence text from KIND tokens."""
    out = ""
    for i, tok in enumerate(tokens):
        if i == 0:
            out = tok
            continue
        prev = tokens[i - 1]
        if re.fullmatch(r"[,.;:!?)»”]", tok) or prev in ("(", "«", "“") or ELIDED.match(prev):
            out += tok
        else:
            out += " " + tok
    # straight double quotes come as separate tokens: '" testo "' -> '"testo"'
    if out.count('"') % 2 == 0:
        out = re.sub(r'"\s*([^"]*?)\s*"', r'"\1"', out)
    return out


def kind_sents(path=KIND):
    label = "kind/" + path.name
    toks, start = [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                if toks:
                    yield label, f"line{start}", detok(toks)
                toks, start = [], None
                continue
            if start is None:
                start = n
            toks.append(line.split("\t")[0])
    if toks:
        yield label, f"line{start}", detok(toks)


def ud_sents():
    for rel in UD_FILES:
        sid = None
        with open(DATA / "ud-italian" / rel, encoding="utf-8") as f:
            for line in f:
                if line.startswith("# sent_id"):
                    sid = line.split("=", 1)[1].strip()
                elif line.startswith("# text ="):
                    yield "ud-italian/" + rel, sid, line.split("=", 1)[1].strip()


def all_sents(kind=KIND):
    yield from kind_sents(kind)
    yield from ud_sents()


CORE = ["meets", "chaired_by", "participates_in", "title", "member_of", "says",
        "announces", "located_in", "date", "supports", "spouse", "visits"]


def validate(paths):
    """Check the kg eval gold format and print core-triple counts per relation."""
    import json
    from collections import Counter
    ok = True
    table = {}
    for path in paths:
        ids = set()
        counts = Counter()
        n = 0
        for ln, line in enumerate(open(path, encoding="utf-8"), 1):
            n += 1
            try:
                item = json.loads(line)
            except ValueError as e:
                print(f"{path}:{ln}: invalid JSON ({e})"); ok = False; continue
            for key in ("id", "text", "triples", "optional", "source"):
                if key not in item:
                    print(f"{path}:{ln}: missing {key}"); ok = False
            if item.get("id") in ids:
                print(f"{path}:{ln}: duplicate id {item.get('id')}"); ok = False
            ids.add(item.get("id"))
            if "date" in item and not re.fullmatch(r"\d{4}-\d\d-\d\d", item["date"]):
                print(f"{path}:{ln}: bad item date {item['date']}"); ok = False
            for kind in ("triples", "optional"):
                for t in item.get(kind, []):
                    if set(t) != {"s", "p", "o"} or not all(isinstance(t[k], str) and t[k] for k in t):
                        print(f"{path}:{ln}: bad triple {t}"); ok = False; continue
                    if t["p"] not in CORE:
                        print(f"{path}:{ln}: unknown relation {t['p']}"); ok = False
                    if t["p"] == "date" and not re.fullmatch(r"\d{4}-\d\d-\d\d", t["o"]):
                        print(f"{path}:{ln}: date object not ISO: {t}"); ok = False
                    if kind == "triples":
                        counts[t["p"]] += 1
                    if "--names" in sys.argv:  # names absent from the text (demonym countries are expected)
                        text = item.get("text", "").replace("’", "'").lower()
                        for k in ("s", "o"):
                            if k == "o" and (t["o"] == "*" or t["p"] == "date"):
                                continue
                            alts = [a.replace("’", "'").lower() for a in t[k].split("|")]
                            if not any(a in text for a in alts):
                                print(f"note {item.get('id')}: {k} not in text: {t}")
        table[path] = (n, counts)
    names = list(table)
    print("relation".ljust(16) + "".join(Path(p).name.rjust(12) for p in names))
    print("items".ljust(16) + "".join(str(table[p][0]).rjust(12) for p in names))
    for r in CORE:
        print(r.ljust(16) + "".join(str(table[p][1][r]).rjust(12) for p in names))
    print("total".ljust(16) + "".join(str(sum(table[p][1].values())).rjust(12) for p in names))
    return ok


def main():
    kind = KIND
    if "--kind" in sys.argv:
        i = sys.argv.index("--kind")
        kind = Path(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    cmd = sys.argv[1] if len(sys.argv) > 1 else "dump"
    if cmd == "validate":
        sys.exit(0 if validate([a for a in sys.argv[2:] if not a.startswith("--")]) else 1)
    sents = list(all_sents(kind))
    if cmd == "dump":
        for src, sid, text in sents:
            print(f"{src}\t{sid}\t{text}")
    elif cmd == "grep":
        rx = re.compile(sys.argv[2], re.I)
        ctx = int(sys.argv[sys.argv.index("--ctx") + 1]) if "--ctx" in sys.argv else 0
        for i, (src, sid, text) in enumerate(sents):
            if rx.search(text):
                print(f"### {i} {src} {sid}")
                for j in range(max(0, i - ctx), min(len(sents), i + ctx + 1)):
                    if sents[j][0] == src:
                        print(("  >> " if j == i else "     ") + f"[{j}] {sents[j][2]}")


if __name__ == "__main__":
    main()

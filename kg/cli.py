"""The ``kg`` command: a thin layer over the library.

Exit codes: 0 success; 1 the command ran but found problems (SHACL
violations, some documents of a batch failed, eval below --fail-under);
2 nothing usable: bad arguments, unreadable input, unloadable graph or models.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2
BUILD_FORMATS = ("ttl", "jsonld", "nt", "trig", "graphml", "html")


class CommandError(Exception):
    """A one-line message for the user; the command exits with 2."""


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in BUILD_FORMATS]
    if bad or not chosen:
        raise argparse.ArgumentTypeError(f"unknown format(s) {bad}; choose from {','.join(BUILD_FORMATS)}")
    return chosen


def _confidence(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError("confidence is between 0 and 1")
    return number


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {value!r}")
    return number


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="kg", formatter_class=formatter, description=(
        "Italian news to a knowledge graph: Stanza parsing, declarative rules, RDF with provenance.\n\n"
        "Example:\n  kg build articolo.txt -o out/\n  kg eval gold.jsonl\n  kg validate out/articolo.ttl"),
        epilog="Exit codes: 0 success, 1 problems found (violations, failed documents), 2 error.")
    parser.add_argument("--version", action="version", version=f"kg {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    models_help = "compact (default, shipped), official (Stanza's, after 'kg models download'), or a directory"

    build = sub.add_parser("build", formatter_class=formatter, help="build a graph from Italian text",
                           description="Parse Italian text, extract entities and facts, write RDF and an HTML view.\n\n"
                           "Example:\n  kg build ../shared/examples/coalizione-volenterosi.txt -o out/\n"
                           "  kg build articles/ -o out/ --format ttl,trig,html --min-confidence 0.8\n"
                           "  cat articolo.txt | kg build - -o out/ --date 2025-09-01")
    build.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="text file, folder (*.txt, *.jsonl, recursive), JSONL file (id, text, date), or - for stdin")
    build.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="output folder")
    build.add_argument("--name", help="output file name stem (default: the input's name, or 'graph' for several)")
    build.add_argument("--format", type=_formats, default=("ttl", "html"), metavar="LIST",
                       help=f"comma-separated, from {','.join(BUILD_FORMATS)} (default: ttl,html)")
    build.add_argument("--date", type=_date, help="publication date of the document(s), if no dateline gives it")
    build.add_argument("--models", default=None, metavar="MODELS", help=models_help)
    build.add_argument("--rules", type=Path, action="append", default=[], metavar="FILE",
                       help="extra rule file (YAML), added to the built-in rules; repeatable")
    build.add_argument("--base", default=None, metavar="IRI", help="base IRI for entities and documents")
    build.add_argument("--min-confidence", type=_confidence, default=0.0, metavar="X",
                       help="drop facts whose confidence is below X (0-1)")
    build.add_argument("--lang", choices=("it", "en"), default="it", help="language of labels in the HTML view")
    build.add_argument("--no-validate", action="store_true", help="skip the SHACL check of the written graph")
    build.add_argument("--progress", action="store_true",
                       help="show the progress bar (docs/s, ETA) even when stderr is not a terminal")
    _add_cache_options(build)
    parallel = build.add_mutually_exclusive_group()
    parallel.add_argument("--workers", type=_positive, metavar="N",
                          help="parse on a local Dask cluster of N one-thread worker processes")
    parallel.add_argument("--scheduler", metavar="ADDRESS",
                          help="parse on an existing Dask cluster, e.g. tcp://HOST:8786 (kg and the models "
                          "must be installed on its workers)")
    build.add_argument("--store", type=Path, default=None, metavar="DIR",
                       help="also keep the graph in a persistent Oxigraph store in DIR, each document's facts "
                       "in its own named graph; rebuilding a document replaces it there")

    ev = sub.add_parser("eval", formatter_class=formatter, help="score extraction against gold triples",
                        description="Run the pipeline on each gold item and score core triples.\n\n"
                        "Example:\n  kg eval ../shared/gold/seed.jsonl\n  kg eval tests/gold/dev.jsonl --json")
    ev.add_argument("gold", type=Path, help="gold JSONL: id, text, date?, triples, optional")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--models", default=None, metavar="MODELS", help=models_help)
    ev.add_argument("--rules", type=Path, action="append", default=[], metavar="FILE", help="extra rule file")
    _add_cache_options(ev)

    val = sub.add_parser("validate", formatter_class=formatter, help="check a graph against kg's SHACL shapes",
                         description="Validate a graph file with pySHACL against ontologies/shapes.ttl.\n\n"
                         "Example:\n  kg validate out/coalizione-volenterosi.ttl\n\n"
                         "Exit codes: 0 conforms, 1 violations, 2 the file cannot be loaded.")
    val.add_argument("graph", type=Path, help="Turtle, N-Triples, JSON-LD or TriG file")

    ren = sub.add_parser("render", formatter_class=formatter, help="HTML view (or GraphML) of a graph file",
                         description="Render any graph kg wrote (or merged) as an interactive HTML view.\n\n"
                         "Example:\n  kg render out/graph.ttl -o view.html\n  kg render out/graph.ttl -o graph.graphml")
    ren.add_argument("graph", type=Path)
    ren.add_argument("-o", "--output", type=Path, required=True, help="view.html, or a .graphml/.gexf file")
    ren.add_argument("--lang", choices=("it", "en"), default="it")

    query = sub.add_parser("query", formatter_class=formatter, help="run SPARQL over a graph file",
                           description="Run a SPARQL query over a graph file.\n\n"
                           "Example:\n  kg query out/graph.ttl 'SELECT ?s ?o WHERE { ?s kg:meets ?o }'\n"
                           "  kg query out/graph.ttl --file examples/queries/people.rq --format csv")
    query.add_argument("graph", type=Path)
    query.add_argument("sparql", nargs="?", help="the query text (prefixes kg, rdf, rdfs, skos, prov, xsd predefined)")
    query.add_argument("--file", type=Path, help="read the query from a .rq file")
    query.add_argument("--format", choices=("table", "csv", "json"), default="table")

    push = sub.add_parser("push", formatter_class=formatter, help="send a graph file to a SPARQL graph store",
                          description="Upload a graph file with the SPARQL 1.1 Graph Store HTTP Protocol.\n"
                          "A Turtle, N-Triples or JSON-LD file replaces the named graph (--graph) or the default "
                          "graph;\na TriG or N-Quads file replaces the whole dataset. --append adds instead of replacing.\n\n"
                          "Example:\n  kg push out/graph.ttl --endpoint http://localhost:7878/store "
                          "--graph https://example.org/news\n"
                          "  kg push out/graph.trig --endpoint http://localhost:7878/store --append")
    push.add_argument("graph", type=Path, metavar="FILE", help=".ttl, .nt, .jsonld, .trig or .nq file")
    push.add_argument("--endpoint", required=True, metavar="URL", help="the Graph Store endpoint URL")
    push.add_argument("--graph", dest="graph_iri", metavar="IRI", help="target named graph (default: the default graph)")
    push.add_argument("--append", action="store_true", help="add to the target (HTTP POST) instead of replacing it (PUT)")
    push.add_argument("--timeout", type=float, default=300.0, metavar="S", help="give up after S seconds (default 300)")

    models = sub.add_parser("models", formatter_class=formatter, help="inspect, score or fetch parsing models",
                            description="Example:\n  kg models info\n"
                            "  kg models score ../shared/data/ud-italian/UD_Italian-ISDT/it_isdt-ud-test.conllu\n"
                            "  kg models score --ner ../shared/data/kind/dataset/wikinews_test.tsv --json\n"
                            "  kg models download   # official Stanza models; needs internet")
    msub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    info = msub.add_parser("info", help="which models are in use, sizes, model-card scores",
                           formatter_class=formatter,
                           description="Example:\n  kg models info\n  kg models info --models official --json")
    info.add_argument("--models", default=None, metavar="MODELS", help=models_help)
    info.add_argument("--json", action="store_true")
    score = msub.add_parser("score", help="score the models end to end on a treebank or NER file",
                            formatter_class=formatter, description=(
                                "Treebank: parse the raw text end to end, CoNLL 2018 evaluation. NER: tag the "
                                "file's own tokens, entity-level P/R/F1.\n\nExample:\n"
                                "  kg models score ../shared/data/ud-italian/UD_Italian-ISDT/it_isdt-ud-test.conllu\n"
                                "  kg models score --ner ../shared/data/kind/dataset/wikinews_test.tsv --json"))
    score.add_argument("file", type=Path, help="CoNLL-U treebank, or KIND-style token<TAB>tag file with --ner")
    score.add_argument("--ner", action="store_true", help="score NER on a token<TAB>tag file")
    score.add_argument("--models", default=None, metavar="MODELS", help=models_help)
    score.add_argument("--json", action="store_true")
    down = msub.add_parser("download", help="download Stanza's official Italian models (network, explicit)",
                           formatter_class=formatter,
                           description="The only command that uses the network.\n\nExample:\n"
                           "  kg models download && kg build article.txt -o out/ --models official")
    down.add_argument("--dir", type=Path, default=None, help="target directory (default: Stanza's)")
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("kg")
    except PackageNotFoundError:
        return "unknown"


def _warn(message: str) -> None:
    print(f"kg: warning: {message}", file=sys.stderr)


# --- commands ------------------------------------------------------------

def cmd_build(args) -> int:
    from kg import inputs
    from kg.build import build_corpus
    from kg.store import DocumentStore, StoreError

    documents, errors = inputs.collect([str(p) for p in args.inputs])
    for doc in documents:
        for warning in doc.warnings:
            _warn(warning)
    if not documents:
        if len(errors) == 1:
            raise CommandError(errors[0])
        for error in errors:
            print(f"kg: error: {error}", file=sys.stderr)
        raise CommandError(f"none of the {len(errors)} inputs is readable" if errors else "no input documents")
    for error in errors:
        print(f"kg: error: {error}", file=sys.stderr)
    _check_rules(args.rules)
    _check_writable(args.output)
    name = args.name or (documents[0].id.replace("/", "-") if len(args.inputs) == 1 and len(documents) == 1
                         else "graph")
    with contextlib.ExitStack() as stack:
        # the store and the cluster are opened first: better to fail before parsing than after
        try:
            store = stack.enter_context(DocumentStore(args.store)) if args.store else None
        except StoreError as exc:
            raise CommandError(str(exc)) from None
        try:
            result = build_corpus(documents, output=args.output, name=name, formats=args.format,
                                  date=args.date, models=args.models, rule_files=args.rules, base=args.base,
                                  min_confidence=args.min_confidence, lang=args.lang,
                                  validate=not args.no_validate, progress=args.progress or sys.stderr.isatty(),
                                  cache=_parse_cache(args), client=_dask_client(args, stack),
                                  document_store=store)
        except OSError as exc:
            raise CommandError(f"{exc.filename or args.output}: cannot write ({exc.strerror or exc})") from None
    for error in result.errors:
        print(f"kg: error: {error}", file=sys.stderr)
    print(result.summary())
    for path in result.written:
        print(f"wrote {path}")
    if args.store:
        print(f"stored {result.documents} documents in {args.store}")
    failed = errors + list(result.errors)
    if failed:
        print(f"{len(failed)} document(s) failed:", file=sys.stderr)
        for error in failed:
            print(f"  {error}", file=sys.stderr)
    if not result.conforms:
        _warn("the graph does not conform to the SHACL shapes; run 'kg validate' for the report")
    return EXIT_PROBLEMS if failed or not result.conforms else EXIT_OK


def _check_rules(rule_files) -> None:
    """Load the extra rule files before any parsing: a bad one stops the command at once."""
    from kg.rules import RuleError, load_rules

    try:
        load_rules(tuple(rule_files))
    except RuleError as exc:
        raise CommandError(str(exc)) from None


def _add_cache_options(command) -> None:
    command.add_argument("--cache", type=Path, default=None, metavar="DIR",
                         help="parse cache folder (default: $XDG_CACHE_HOME/kg/parse, i.e. ~/.cache/kg/parse); "
                         "documents already parsed with the same models are not parsed again")
    command.add_argument("--no-cache", action="store_true", help="parse every document, read and write no cache")


def _parse_cache(args):
    from kg import cache

    if args.no_cache:
        return None
    directory = args.cache or cache.default_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _warn(f"{directory}: cannot create the parse cache ({exc.strerror}); parsing without it")
        return None
    return cache.ParseCache(directory, cache.model_identity(args.models))


def _dask_client(args, stack: contextlib.ExitStack):
    if not (args.workers or args.scheduler):
        return None
    from kg import distributed

    try:
        return stack.enter_context(distributed.connect(args.workers, args.scheduler))
    except OSError as exc:   # distributed raises OSError (TimeoutError) for an unreachable scheduler
        raise CommandError(f"cannot start or reach the Dask cluster: {exc}") from None


def cmd_push(args) -> int:
    from kg.store import PushError, push

    if not args.graph.is_file():
        raise CommandError(f"{args.graph}: no such file")
    try:
        status = push(args.graph, args.endpoint, args.graph_iri, append=args.append, timeout=args.timeout)
    except PushError as exc:
        raise CommandError(str(exc)) from None
    target = ("the dataset" if args.graph.suffix.lower() in (".trig", ".nq")
              else f"graph <{args.graph_iri}>" if args.graph_iri else "the default graph")
    print(f"{'added' if args.append else 'replaced'} {target} at {args.endpoint} with {args.graph} (HTTP {status})")
    return EXIT_OK


def _check_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"{directory}: cannot create output folder ({exc.strerror})") from None
    if not directory.is_dir() or not os.access(directory, os.W_OK | os.X_OK):
        raise CommandError(f"{directory}: output folder is not writable")


def cmd_eval(args) -> int:
    from kg.evaluate import GoldError, evaluate, format_report

    if not args.gold.is_file():
        raise CommandError(f"{args.gold}: no such file")
    _check_rules(args.rules)
    try:
        report = evaluate(args.gold, models=args.models, rule_files=args.rules, cache=_parse_cache(args))
    except GoldError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps({k: v for k, v in report.items()}, ensure_ascii=False))
    else:
        print(format_report(report))
    return EXIT_OK


def _load_graph(path: Path):
    from kg.rdf import FORMATS, parse_back

    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise CommandError(f"{path}: unknown graph format {fmt!r}; expected {', '.join(sorted(FORMATS))}")
    try:
        return parse_back(path, fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise CommandError(f"{path}: cannot load graph: {reason}") from None


def cmd_validate(args) -> int:
    from kg.rdf import validate

    graph = _load_graph(args.graph)
    conforms, report = validate(graph)
    if conforms:
        print(f"{args.graph}: conforms")
        return EXIT_OK
    print(report)
    print(f"{args.graph}: does not conform")
    return EXIT_PROBLEMS


def cmd_render(args) -> int:
    from kg import render
    from kg.rdf import union

    graph = union(_load_graph(args.graph))
    suffix = args.output.suffix.lower()
    _check_writable(args.output.parent if str(args.output.parent) else Path("."))
    if suffix == ".graphml":
        render.write_graphml(graph, args.output, lang=args.lang)
    elif suffix == ".gexf":
        render.write_gexf(graph, args.output, lang=args.lang)
    else:
        render.render_html(graph, args.output, lang=args.lang, title=args.graph.stem)
    print(f"wrote {args.output}")
    return EXIT_OK


def cmd_query(args) -> int:
    from kg.query import QueryError, format_result, run_query

    if bool(args.sparql) == bool(args.file):
        raise CommandError("give the query either as an argument or with --file")
    if args.file:
        if not args.file.is_file():
            raise CommandError(f"{args.file}: no such file")
        text = args.file.read_text(encoding="utf-8")
    else:
        text = args.sparql
    graph = _load_graph(args.graph)
    try:
        result = run_query(graph, text)
    except QueryError as exc:
        raise CommandError(str(exc)) from None
    print(format_result(result, args.format))
    return EXIT_OK


def cmd_models(args) -> int:
    from kg import scoring
    from kg.parse import ModelsNotFound

    try:
        if args.models_command == "info":
            info = scoring.models_info(args.models)
            print(json.dumps(info, indent=2, ensure_ascii=False) if args.json else scoring.format_models_info(info))
        elif args.models_command == "download":
            path = scoring.download_official(args.dir)
            print(f"official Stanza Italian models in {path}; use them with --models official")
        else:
            if not args.file.is_file():
                raise CommandError(f"{args.file}: no such file")
            started = time.time()
            scores = scoring.score_ner(args.file, args.models) if args.ner else \
                scoring.score_treebank(args.file, args.models)
            if args.json:
                print(json.dumps(scores, ensure_ascii=False))
            else:
                print(scoring.format_ner_scores(scores) if args.ner else scoring.format_treebank_scores(scores))
                print(f"({time.time() - started:.0f} s)")
    except (ModelsNotFound, scoring.ScoringInputError) as exc:
        raise CommandError(str(exc)) from None
    except UnicodeDecodeError:
        raise CommandError(f"{args.file}: not UTF-8 text") from None
    return EXIT_OK


COMMANDS = {"build": cmd_build, "eval": cmd_eval, "validate": cmd_validate, "render": cmd_render,
            "query": cmd_query, "models": cmd_models, "push": cmd_push}


def main(argv: list[str] | None = None) -> int:
    from kg.parse import ModelsNotFound

    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (CommandError, ModelsNotFound) as exc:
        print(f"kg: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kg: interrupted; earlier outputs are left as they were", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

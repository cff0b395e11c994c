"""kg's ontology terms as an rdflib DefinedNamespace, so a misspelt term fails
at import time instead of writing an undeclared IRI.  Every name here is
declared in ontologies/kg.ttl (a test checks both directions)."""
from rdflib import URIRef
from rdflib.namespace import DefinedNamespace, Namespace

ONTOLOGY_IRI = "https://w3id.org/kg-it/ontology#"
DEFAULT_BASE = "https://w3id.org/kg-it/resource/"


class KG(DefinedNamespace):
    _NS = Namespace(ONTOLOGY_IRI)
    _fail = True

    # classes
    Agent: URIRef
    Person: URIRef
    Organization: URIRef
    Place: URIRef
    Event: URIRef
    Proposal: URIRef           # what one supports or votes for: a motion, a bill, a programme
    Document: URIRef
    Assertion: URIRef          # one extracted fact with its provenance (reified statement)

    # relations between entities (rules emit these local names)
    meets: URIRef
    chairedBy: URIRef
    participatesIn: URIRef
    memberOf: URIRef
    announces: URIRef
    locatedIn: URIRef
    supports: URIRef
    spouse: URIRef
    visits: URIRef
    eventOf: URIRef            # an event held by/for an organization ("riunione della Coalizione")

    # literal-valued relations
    title: URIRef              # role noun: "presidente", "segretario generale"
    says: URIRef               # reported speech, the quoted or reported text
    date: URIRef               # xsd:date of an event

    # provenance of an Assertion
    document: URIRef
    sentenceIndex: URIRef
    sentenceText: URIRef
    startChar: URIRef
    endChar: URIRef
    rule: URIRef
    confidence: URIRef
    mentionedIn: URIRef        # entity -> Document
    documentDate: URIRef
    text: URIRef               # Document's full text


# The KG properties a Fact may use as its predicate.  A Fact whose predicate
# is in ENTITY_RELATIONS may have an Entity key as its object; one whose
# predicate is in LITERAL_RELATIONS may have a literal object of the
# Fact.datatype given there.  "announces" is in both: one announces an event
# or a measure that has no entity of its own.
ENTITY_RELATIONS = frozenset({
    "meets", "chairedBy", "participatesIn", "memberOf", "announces",
    "locatedIn", "supports", "spouse", "visits", "eventOf",
})
LITERAL_RELATIONS: dict[str, str] = {"title": "string", "says": "string", "date": "date",
                                     "announces": "string"}

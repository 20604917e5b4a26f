"""Words the offline planner understands: intents, periods, levels, function words and
topics the commons does not hold.  Pure data and small pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kernel.text import normalise

MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
          "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
          "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
          "nov": 11, "december": 12, "dec": 12}

SUMMARY = ("summary", "summarise", "summarize", "summarising", "profile", "overview",
           "tell me about", "what do you know about", "key facts", "snapshot", "facts about",
           "information about", "info on", "info about", "all about", "area profile", "headline")
TREND = ("trend", "trends", "over time", "changed", "change", "changes", "since", "each year",
         "every year", "by year", "year by year", "over the years", "growth", "grown", "grow",
         "increase", "increased", "decrease", "decreased", "fallen", "risen", "rise", "fall",
         "month by month", "by month", "each month", "every month", "monthly", "history",
         "historical", "time series", "going up", "going down", "trajectory")
BREAKDOWN = ("breakdown", "break down", "broken down", "split by", "split", "by type", "types of",
             "type of", "each", "every", "per", "all the", "distribution", "by", "list",
             "for all", "mix", "makeup", "make up", "composition")
COMPARE = ("compare", "compared", "comparison", "versus", "vs", "against", "than", "difference",
           "differ", "relative to", "next to", "side by side", "benchmark", "benchmarking")
RANK_DESC = ("highest", "most", "largest", "biggest", "top", "greatest", "worst", "maximum",
             "max", "busiest", "heaviest", "more")
RANK_ASC = ("lowest", "least", "smallest", "fewest", "bottom", "minimum", "min", "best",
            "quietest", "lightest")
RANK_WORDS = ("rank", "ranking", "ranked", "league table", "order", "ordered", "sort", "sorted",
              "which", "where")
COUNT_WORDS = ("how many",)
DOCS = ("who publishes", "who published", "publisher", "published by", "who produces",
        "who makes", "licence", "license", "licensed", "licenced", "attribution", "cite",
        "citation", "credit", "steward", "who looks after", "who is responsible", "caveat",
        "caveats", "limitation", "limitations", "methodology", "method", "how is it calculated",
        "how is", "how are", "how was", "how were", "calculated", "measured", "defined",
        "definition", "what does", "what is the", "mean", "means", "approximate", "accurate",
        "reliable", "source", "sources", "come from", "can i use", "be used for", "be used to",
        "allowed to use", "reuse", "re use", "terms", "what data", "what datasets",
        "which datasets", "what do you have", "what do you hold", "what can i ask",
        "what can you tell", "datasets", "dataset", "datasheet", "provenance", "why are", "why is",
        "why do", "why does", "up to date", "how old", "how recent", "when was", "updated",
        "real people", "get in touch", "who maintains", "whoever maintains", "known problems",
        "known issues", "pitfalls", "synthetic", "made up", "fake data", "is it real", "prohibit", "prohibited",
        "use boundaries", "what purposes", "which purposes", "permitted purposes",
        "column", "columns", "field names", "which fields", "what fields", "geography code",
        "which code", "what code", "codes does", "code does")
DOC_SECTIONS = {
    "publisher": ("who publishes", "who published", "publisher", "published by", "who produces",
                  "who makes", "source", "sources", "come from",
                  "provenance", "puts out", "put out", "puts it out", "releases", "released by",
                  "produced by", "organisation", "organization", "department", "government body",
                  "agency", "which body"),
    "licence": ("licence", "license", "licensed", "licenced", "attribution", "cite", "citation",
                "credit", "can i use", "allowed to use", "reuse", "re use", "terms"),
    "steward": ("steward", "who looks after", "who is responsible", "contact", "get in touch",
                "who maintains", "whoever maintains", "who runs", "who manages"),
    "policy": ("prohibit", "prohibits", "prohibited", "forbidden", "not allowed", "use boundaries",
               "use boundary", "permitted purposes", "what purposes", "which purposes", "allowed purposes",
               "what can it be used for", "used for", "duo", "data use", "purpose", "purposes",
               "restriction", "restrictions", "banned", "allow", "allows", "allowed", "permitted",
               "commercial", "commercially"),
    "columns": ("column", "columns", "field", "fields", "field names", "which fields", "what fields", "geography code",
                "which code", "what code", "codes does", "code does"),
    "caveats": ("caveat", "caveats", "limitation", "limitations", "approximate", "accurate",
                "difference between", "different from", "differ", "comparable", "compare", "comparison",
                "reliable", "why are", "why is", "why do", "why does", "missing", "not included",
                "problems", "known problems", "known issues", "issues with", "watch out", "pitfalls",
                "up to date", "how old", "how recent"),
    "methodology": ("methodology", "method", "calculated", "measured", "defined", "definition",
                    "how is", "how are", "how was", "how were", "what does", "mean", "means",
                    "worked out"),
    "catalogue": ("what data", "what datasets", "which datasets", "what do you have",
                  "what do you hold", "what can i ask", "what can you tell", "datasets"),
}

# How a question is put, beyond the cue phrases above: forms that ask *about* the data (who
# publishes it, why a figure looks odd, what a word stands for, what it may be used for) rather
# than for a figure.  ``question_form`` returns the form and how much it says:
#   "about": a question about the data whatever else it names (who, why, stand for, publish...);
#   "ask":   about the data when nothing the data route could answer is named (no place): "how
#            often", "can I", "may I", "allowed", "is it real", "is the X a Y", "what's in"...
@dataclass(frozen=True)
class Form:
    kind: str                 # why | who | define | publish | contact | source | method | use | real | ...
    strength: str             # "about" | "ask"
    section: str | None       # the documentation section the form points to, if any


_FORM_WORDS: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    # (kind, strength, section, phrases)
    ("define", "about", "measures", ("stand for", "stands for", "short for", "acronym", "abbreviation",
                                     "abbreviated", "full name", "spelled out", "spelt out")),
    ("contact", "about", "steward", ("contact", "contacts", "email", "e mail", "get hold of", "speak to",
                                     "talk to", "write to", "complain", "complaint", "report a problem",
                                     "report an error")),
    ("source", "about", "provenance", ("github", "repo", "repository", "repositories", "taken from",
                                       "copied from", "downloaded from", "obtained from", "got it from",
                                       "original file", "raw file", "upstream")),
    ("often", "ask", None, ("how often", "how frequently", "how regularly", "frequency", "how up to date",
                            "how current", "updated", "update", "refreshed", "latest release", "next release")),
    ("use", "ask", "policy", ("may i", "may we", "am i allowed", "are we allowed", "allowed", "allow",
                              "allows", "permitted", "banned", "restrictions", "purposes",
                              "permission", "is it ok", "is it okay", "is it alright", "commercial",
                              "commercially", "sell", "resell", "share it", "use it for", "use them for",
                              "use this for", "use the data", "use that data")),
    ("can", "ask", None, ("can i", "can we", "could i", "could we", "should i", "should we")),
    ("method", "ask", "methodology", ("how do they",
                                      "how did they", "how does it", "how do you", "how does one",
                                      "how are they", "how was it", "who decides", "decide", "decided",
                                      "work out", "works out", "worked out", "classify", "classified",
                                      "counted", "collected", "compiled", "produced")),
    ("real", "ask", "caveats", ("real", "genuine", "fake", "made up", "trustworthy", "trust", "official",
                                "officially", "same thing", "same as", "the same", "comparable",
                                "percentage or", "a percentage", "a rate", "a count", "a score",
                                "an index", "a ratio")),
    ("contents", "ask", "description", ("contain", "contains", "include", "includes", "included",
                                        "cover", "covers", "covered", "whats in", "what is in",
                                        "what s in", "in it")),
)


# Asking whether one may reuse the figures somewhere: a licence question.
_REUSE = tuple(f"{a} {v}" for a in ("can i", "can we", "may i", "may we", "could i", "could we", "am i allowed to",
                                      "are we allowed to", "is it ok to")
               for v in ("put", "quote", "include", "publish", "republish", "share", "reproduce", "copy",
                         "print", "reuse", "re use", "cite"))

FORM_PHRASES = tuple(p for _, _, _, phrases in _FORM_WORDS for p in phrases) + _REUSE


def question_form(tokens: list[str]) -> Form | None:
    """The form of a question about the data (or None for a plain request for figures)."""
    if not tokens:
        return None
    first, second = tokens[0], (tokens[1] if len(tokens) > 1 else "")
    if first == "why" or (first, second) == ("how", "come"):
        return Form("why", "about", None)
    if any_phrase(tokens, _REUSE):
        return Form("reuse", "about", "licence")    # can I put the figures in a council report?
    if any(t.startswith("publish") for t in tokens):
        # 'how often are the homelessness figures published' asks when, not who
        when = any_phrase(tokens, ("how often", "how frequently", "how regularly", "when", "how up to date"))
        return Form("publish", "about", None if when else "publisher")
    for kind, strength, section, phrases in _FORM_WORDS:
        if strength == "about" and any_phrase(tokens, phrases):
            return Form(kind, strength, section)
    if first in ("who", "whos", "whom") and any_phrase(tokens, DATA_NOUNS) and \
            not any_phrase(tokens, RANK_DESC + RANK_ASC + COUNT_WORDS):
        return Form("who", "about", None)       # who do I contact about the lupus data
    for kind, strength, section, phrases in _FORM_WORDS:
        if strength == "ask" and any_phrase(tokens, phrases):
            return Form(kind, strength, section)
    # "what's an LSOA?", 'what is a decile in the IMD?': asking what a word means
    if (first, second) in (("what", "is"), ("what", "s"), ("whats", "a"), ("whats", "an")) and \
            any(t in ("a", "an") for t in tokens[1:3]):
        return Form("define", "ask", "measures")
    # 'is the health index score a percentage?': a yes/no question about what something is
    if first in ("is", "are", "does", "do") and any(t in ("a", "an") for t in tokens[2:]):
        return Form("real", "ask", None)
    return None


# Nouns that name a dataset as a thing ('the lupus data', 'the ward lookup') and nouns that name
# its figures ('the homelessness numbers').  With no place, in a question the data route cannot
# answer, the first kind is about the data unless it asks to be shown them ('show me the crime
# data'); the second only when a word the planner does not know is left over ('which github repo
# were the small area population estimates taken from').
THING_NOUNS = ("data", "dataset", "datasets", "datasheet", "datasheets", "file", "files", "lookup", "lookups",
               "table", "tables", "summaries", "classification", "commons", "thing", "stuff", "info",
               "information", "publication", "spreadsheet", "csv")
FIGURE_NOUNS = ("figures", "numbers", "statistics", "stats", "estimates", "indicators", "index", "indices",
                "scores", "counts", "rates", "measures")
DATA_NOUNS = THING_NOUNS + FIGURE_NOUNS
SHOW_ME = ("show", "give", "list", "get me", "display", "download", "plot", "chart", "graph", "map",
           "send", "fetch", "pull", "export", "extract", "dump", "print",
           "output", "reveal", "release", "approve", "deny", "delete", "remove", "grant", "unlock", "bypass",
           "ignore", "run", "execute", "select", "read out")
def asks_to_be_given(tokens: list[str]) -> bool:
    """'show me the crime data', 'export the lupus commons', 'can you list ...': a request for
    something, not a question about the data ('when you show people per square km ...' is)."""
    for i, t in enumerate(tokens):
        for verb in SHOW_ME:
            n = len(verb.split())
            if tokens[i:i + n] != verb.split():
                continue
            before, after = tokens[max(0, i - 2):i], tokens[i + n:i + n + 1]
            if i == 0 or after in (["me"], ["us"]) or before[-1:] == ["please"] or \
                    before in (["can", "you"], ["could", "you"], ["would", "you"], ["will", "you"]):
                return True
    return False


# Words that point at people rather than at the data: never sent to the documentation by the
# fallback ('is <email> in the VCSE co-op and which service did she use?').
PERSONAL = ("she", "he", "her", "him", "his", "hers", "herself", "himself", "someone", "somebody",
            "individual", "individuals", "row", "rows", "record", "records", "per participant", "named",
            "my neighbour", "my neighbor", "this person", "that person")
QUESTION_STARTS = frozenset("""what whats which who whos whose where wheres when why how is are was were do does
did can could may might should would will has have any tell explain""".split())

LEVELS = {
    "lsoa": ("lsoa", "lsoas", "neighbourhood", "neighbourhoods", "neighborhood", "neighborhoods",
             "small area", "small areas", "super output area", "super output areas", "areas"),
    "ward": ("ward", "wards"),
    "lad": ("council", "councils", "council area", "council areas", "local authority",
            "local authorities", "borough", "boroughs", "district", "districts", "authority",
            "authorities", "la", "las", "places", "towns"),
}

# Topics people ask about that the commons does not hold: answered with no_data even when
# a generic phrase ("how many people") would otherwise match a measure.
OUT_OF_SCOPE = ("life expectancy", "fuel poverty", "broadband", "house price", "house prices",
                "property prices", "rent prices", "rents", "average rent", "unemployment rate",
                "unemployed", "claimant", "claimants", "universal credit", "benefits", "benefit", "claim benefits",
                "gcse", "exam results", "school results", "obesity", "obese", "smoking",
                "smokers", "covid", "vaccination", "vaccinations", "traffic", "weather",
                "election", "elections", "voting", "voters", "council tax", "bin collection",
                "bins", "wages", "salary", "salaries", "average pay", "earnings", "businesses",
                "jobs", "job vacancies", "birth rate", "births", "deaths", "death rate",
                "mortality rate", "suicide", "suicides", "teenage pregnancy", "free school meals",
                "religion", "language spoken", "languages", "car ownership", "cars", "vans", "car", "van",
                "have a car", "own a car", "vehicle", "vehicles", "car or van",
                "general health", "commute", "commuting", "rainfall", "footfall", "tourism",
                "tourists", "hate crime", "knife crime", "murders", "murder")

STOP = set("""a an the of in for on at to and or is are was were be been being what whats what's
which who whom whose how many much do does did doing i me my we our you your it its this that
these those there their they them please can could would should will shall may might tell show
give list get find know let us about with from into by as per than then so just also any some
all each every most more less least very really quite bit lot lots number figure figures stat
stats statistic statistics data value values level levels rate rates total overall area areas
place places live living lives people residents here near around like want need im i'm hi hello
thanks thank cheers ok okay yes no not now currently current latest recent recently year years
time today local round whole entire across within between over under compared compare versus vs
against does is it's isnt isn't has have had got get gets our ours mine whats hows wheres which's
""".split())


def find_years(tokens: list[str]) -> list[tuple[int, str]]:
    """(token index, 'YYYY') for plausible years; '2022 23' style financial years give the end year."""
    out = []
    for i, t in enumerate(tokens):
        if re.fullmatch(r"(19|20)\d\d", t):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if re.fullmatch(r"\d\d", nxt) and int(nxt) == (int(t) + 1) % 100:
                out.append((i, str(int(t) + 1)))
            else:
                out.append((i, t))
        elif re.fullmatch(r"mid(19|20)\d\d", t):
            out.append((i, t[3:]))
    return out


def find_month(tokens: list[str], default_year: str | None) -> tuple[list[int], str] | None:
    """('2019-09') when a month is named, with the year next to it or the default."""
    for i, t in enumerate(tokens):
        if t in MONTHS and not (t == "may" and (i + 1 >= len(tokens) or not re.fullmatch(r"\d{4}", tokens[i + 1]))) \
                and not (t in ("mar", "sep", "dec") and False):
            year = tokens[i + 1] if i + 1 < len(tokens) and re.fullmatch(r"\d{4}", tokens[i + 1]) else default_year
            if year:
                return ([i], f"{year}-{MONTHS[t]:02d}")
    return None


def has_phrase(tokens: list[str], phrase: str) -> bool:
    return phrase_positions(tokens, phrase) is not None


def phrase_positions(tokens: list[str], phrase: str) -> tuple[int, int] | None:
    words = phrase.split()
    n = len(words)
    for i in range(len(tokens) - n + 1):
        if tokens[i:i + n] == words:
            return (i, i + n)
    return None


def any_phrase(tokens: list[str], phrases) -> str | None:
    for p in sorted(phrases, key=lambda x: -len(x.split())):
        if has_phrase(tokens, p):
            return p
    return None


def parse_top_n(tokens: list[str]) -> int | None:
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "twenty": 20}
    for i, t in enumerate(tokens[:-1]):
        if t in ("top", "bottom", "first", "best", "worst", "highest", "lowest", "most", "least"):
            nxt = tokens[i + 1]
            if nxt.isdigit() and 0 < int(nxt) <= 100:
                return int(nxt)
            if nxt in words:
                return words[nxt]
    return None


# -- who is asking and why ---------------------------------------------------------------
# A clause that says who is asking or what for ('asking for a housing charity', 'for my school
# project', 'to evaluate whether our employment support works', 'as a councillor') is context,
# never a place or a topic.  It starts at one of these and runs to the end of its sentence or
# comma clause.
ASKER_CUES = ("asking for", "asking on behalf", "asking as", "im asking", "i m asking", "i am asking",
              "we re asking", "were asking", "we are asking", "on behalf of", "i work for", "i work at",
              "i work in", "we work for", "we work with", "we work in", "i m from", "im from", "i am from",
              "we re from", "we are from", "i am a", "i m a", "im a", "we are a", "we re a", "i am an",
              "i m an", "im an", "we are an", "speaking as", "writing as", "writing for",
              "working for", "working with", "in order to", "so that", "so we", "so i", "so our",
              "so they", "because")
# Only at the start of a sentence or comma clause ('As a councillor, ...'): 'quote it as an
# official number' is how something is used, not who is asking.
CLAUSE_START_CUES = ("as a", "as an", "as we", "as i", "as our")
# 'for a/my/our ...' ('for a funding bid'); 'as a' before a figure word is how a figure is put
# ('as a share of', 'as a percentage'), not who is asking.
PURPOSE_STARTS = frozenset({"a", "an", "my", "our", "their", "his", "her", "some", "work", "school",
                            "research", "funding", "planning"})
PURPOSE_VERBS = frozenset("""evaluate evaluating assess assessing plan planning support supporting help helping
inform informing understand decide deciding target targeting prepare preparing apply write writing bid
justify justifying monitor monitoring review reviewing design designing fund prioritise prioritize
allocate allocating build argue lobby campaign present presenting demonstrate prove evidence improve
improving tackle tackling shape shaping brief briefing report reporting""".split())
FIGURE_FORMS = frozenset({"share", "percentage", "percent", "proportion", "rate", "fraction", "ratio",
                          "number", "count", "total", "whole", "ward", "council", "borough", "district",
                          "neighbourhood", "neighborhood", "lsoa", "small", "area", "place", "town",
                          "given", "particular", "specific", "single", "year", "month", "period"})


def context_clause(text: str, tokens: list[str]) -> set[int]:
    """Token positions of clauses that say who is asking or why (see ASKER_CUES): each from its
    cue to the end of its sentence or comma clause.  ``tokens`` are the normalised words of
    ``text``, one for one."""
    chunks, start = [], 0
    for piece in re.split(r"[?!.;:,()\n]+", text):
        n = len(normalise(piece).split())
        chunks.append((start, start + n))
        start += n
    if start != len(tokens):            # not one for one: the whole question is one clause
        chunks = [(0, len(tokens))]
    out: set[int] = set()
    for lo, hi in chunks:
        for i in range(lo, hi):
            t, nxt = tokens[i], (tokens[i + 1] if i + 1 < hi else "")
            cue = any(tokens[i:i + len(c.split())] == c.split() and i + len(c.split()) <= hi
                      for c in ASKER_CUES + (CLAUSE_START_CUES if i == lo else ()))
            if cue and t == "as" and nxt in ("a", "an") and i + 2 < hi and tokens[i + 2] in FIGURE_FORMS:
                cue = False
            if not cue and t == "for" and nxt in PURPOSE_STARTS:
                cue = not (nxt in ("a", "an") and i + 2 < hi and tokens[i + 2] in FIGURE_FORMS)
            if not cue and t == "to" and nxt in PURPOSE_VERBS:
                cue = True
            if cue:
                out |= set(range(i, hi))
                break
    return out


# Everyday English words that are never spelling mistakes for a word the commons knows
# ('whether' is not 'weather', 'setting' is not 'letting'); together with spaCy's English stop
# words and the words of the datasheets' own prose.
ENGLISH_WORDS = frozenset("""whether weather asking asked ask asks setting vetting letting lease leases
leasing prospective protective football footfall unrounded evaluate evaluating evaluation support
supports supported working worker workers works worked charity charities project projects funding
funder funders grant grants organisation organization volunteer volunteers service services
employment employer employers tenant tenants landlord landlords housing councillor councillors
officer officers manager student students teacher teachers journalist researcher researchers
business businesses company companies agency agencies client clients customer customers member
members family families friend friends neighbour neighbours community communities church churches
school schools college university hospital hospitals surgery practice practices clinic clinics
pharmacy pharmacies shop shops street streets road roads house houses home homes flat flats
interested interesting wondering wonder curious thinking think moving move moved living lived buying
buy renting rent selling sell looking look trying try planning plan writing write reading read
applying apply bidding bid helping help understanding understand comparing compare knowing know
whole several various different similar general specific particular certain enough other another
every either neither whatever whichever whoever wherever whenever however although though unless
until while whilst because since therefore thus hence also still already almost always never often
sometimes usually really actually basically probably possibly perhaps maybe quite rather pretty
fairly nearly roughly approximately exactly precisely simply just only even especially particularly
mainly mostly largely partly fully totally completely entirely quickly slowly better worse best
worst bigger smaller higher lower larger fewer greater longer shorter older younger newer cheaper
safer poorer richer happier healthier wealthier""".split())

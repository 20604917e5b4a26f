"""Use-boundary policy: decided on the plan, before any SQL exists.  Default deny.

Each datasheet carries its use boundaries (``policy:``): which purposes are permitted,
which need a duty met first (commercial use needs a fee agreement, so a steward reviews
it), which are prohibited, which roles may ask, and DUO-style codes.  ``decide`` is a pure
function of (datasheets, role, purpose) and always returns a rule id that the refusal, the
review queue and the audit log quote.

Rules are checked in this order, first match wins:

1. ``purpose.unknown``        the purpose is not one the commons recognises
2. ``commons.prohibited.P``   the purpose is one the commons never allows (re-sale, ...)
3. ``<ds>.prohibited.P``      the dataset's own prohibitions
4. ``<ds>.roles``             the role may not use the dataset
5. ``<ds>.duo.<CODE>``        the dataset's DUO codes exclude the purpose
6. ``<ds>.duty.P``            the purpose needs a duty met -> needs_review
7. ``<ds>.purpose.not_permitted``  not in the permitted list (default deny)
8. ``open.permitted`` / ``policy.permitted``
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.datasheets import Datasheet
from retrieval.index import COMMONS, Chunk


@dataclass(frozen=True)
class Purpose:
    id: str
    label: str
    duo: str | None = None          # the GA4GH DUO code this purpose corresponds to
    commercial: bool = False
    profit: bool = False


PURPOSES: dict[str, Purpose] = {p.id: p for p in (
    Purpose("personal", "personal or community interest"),
    Purpose("service_planning", "planning or improving a public or voluntary service"),
    Purpose("research", "general research", duo="GRU"),
    Purpose("health_research", "health or medical research", duo="HMB"),
    Purpose("disease_research", "research on a specific disease", duo="DS"),
    Purpose("commercial", "commercial use", commercial=True, profit=True),
    Purpose("evaluation", "evaluation of the commons"),
    Purpose("stewardship", "stewardship and oversight"),
)}

# Purposes no dataset in this commons may be used for, in the words quoted to the user.
PROHIBITED: dict[str, str] = {
    "resale": "Data from the commons may not be sold on or passed to third parties.",
    "insurance_pricing": "Data from the commons may not be used to set or adjust insurance prices or cover.",
    "individual_decisions": ("Data from the commons may not be used to make decisions about individual people, "
                             "such as refusing care, benefits, housing or employment."),
    "marketing": "Data from the commons may not be used for marketing or advertising to people.",
    "reidentification": "Nobody may use the commons to identify, single out or contact the people in it.",
}
PROHIBITED_LABELS = {
    "resale": "re-sale", "insurance_pricing": "insurance pricing",
    "individual_decisions": "decisions about individual people", "marketing": "marketing",
    "reidentification": "re-identification",
}

# Phrases that state a purpose in the question itself ("... to price insurance").  A stated
# prohibited purpose is refused whatever purpose was selected, unless the question is only about
# the rules ("can I use it for insurance pricing?"): the pipeline lets a question the planner
# routes to the documentation through, and refuses any that would compute figures.
# Word families, not phrases: a blind red team showed that phrase lists are easy to step round
# ("life cover loadings", "sell the numbers to a pharma firm", "make redundant").
_I = re.I | re.S
STATED_PURPOSE = {
    "resale": re.compile(
        r"\b(re-?sell\w*|on-?sell\w*|resale|re-?sale|data brokers?|brokering|monetis\w*|monetiz\w*|vend(re|er|ere)|"
        r"verkauf\w*|verkopen|flog\w*|auction\w*|marketplace|highest bidder|for sale|(data|dataset) products?|"
        r"repackag\w*)\b|"
        r"\b(sell|selling|sold)\b.{0,40}\b(data|figures|numbers|stats|statistics|results|counts|tables?|it|them|"
        r"this|these|on|to)\b|\b(we|i|they) (sell|resell)\b|"
        r"\b(licen[cs]e|pass|share|give|hand|send|forward|provide)\w*\b.{0,30}\b(on )?to (a |an |the |our |some )?"
        r"(third[- ]part\w*|brokers?|vendors?|paying (clients?|customers?)|hedge funds?|investors?|"
        r"(analytics|data|marketing) (vendors?|compan\w*|firms?|providers?)|"
        r"(pharma\w*|drug|insurance|marketing) (compan\w*|firms?|clients?))\b", _I),
    "insurance_pricing": re.compile(
        r"\b(underwrit\w*|actuar\w*|premiums?|primes?|primas?|premi|prämie\w*|insurab\w*|life cover|"
        r"critical illness cover|income protection|cover loadings?|loadings?)\b|"
        r"\w*(versicher|verzeker|assicura|segur[oa]s)\w*|"
        r"\b(insurance|insurers?|assurance|seguros?|policy ?holders?|polic(y|ies))\b(?=.*\b(pric\w*|precio\w*|"
        r"premiums?|quotes?|risk\w*|cover|customers?|clients?|policy ?holders?|rates?|charg\w*|pay\w*|fijar|fixer|calcul\w*|"
        r"set\w*|adjust\w*|load\w*|claims?|eligib\w*|applicants?|decline\w*|refus\w*)\b)|"
        r"\b(pric\w*|precio\w*|premiums?|quotes?|risk\w*|cover|charg\w*|set\w*|adjust\w*|load\w*|fixer|fijar)\b"
        r"(?=.*\b(insurance|insurers?|assurance|seguros?)\b)|\bcharg\w* (them|people|patients|customers)\b.{0,20}"
        r"\bfor cover\b", _I),
    "individual_decisions": re.compile(
        r"\b(den(y|ying|ial)|refus\w*|withdraw\w*|declin\w*|stop\w*|cut\w*|reduc\w*|ration\w*|"
        r"decid\w* (whether|who|on|if))\b.{0,60}\b(care|treatment|benefit\w*|housing|tenan\w*|job|employ\w*|"
        r"hir\w*|loan|credit|mortgage|individual|patient|applicant|support|payments?)\b|"
        r"\b(vet|vetting|screen(ing)?|assess\w*|shortlist\w*|sift\w*)\b.{0,40}\b(tenants?|applicants?|"
        r"candidates?|employees?|staff|claimants?|borrowers?|individuals?|workers?)\b|"
        r"\b(choose|decide|pick|select|flag|single out|work out)\b.{0,20}\b(which|what|who) (staff|employees?|"
        r"workers?|people|patients?|tenants?|applicants?|candidates?|claimants?|members?|customers?|pupils?|to)\b|"
        r"\b(tenants?|applicants?|borrowers?|employees?|staff|workers?|claimants?|candidates?)\b.{0,30}"
        r"\b(too risky|risky|a risk|reliable|trustworthy)\b|\blet (him|her|them|people|staff|someone|\w+) go\b|"
        r"\bturn(ing)? down\b.{0,30}\b(loans?|applications?|applicants?|claims?|tenants?|mortgages?)\b|"
        r"\b(benefits? assess\w*|pip|esa|universal credit) (claims?|assess\w*|decisions?|award\w*)\b|"
        r"\b(stop|stopping|cut|cutting|remove|removing)\b.{0,20}\b(pip|esa|benefits?)\b|\blet go\b|"
        r"\b(redundan\w*|dismiss\w*|sack(ed|ing)?|lay[- ]?offs?|disciplin\w*|means[- ]test\w*|evict\w*|"
        r"credit[- ](scor|check|rating|decision|worth)\w*|credit ?worth\w*|pre-?employment)\b|"
        r"\bfire (staff|them|people|employees|workers)\b|"
        r"\b(landlord|employer|recruiter|lender|hiring manager)s?\b.{0,40}\b(vet|check|screen|decid|choos|assess|"
        r"reject|refus|risk)\w*|\bwhether to (hire|employ|lease|rent|lend|insure|treat|admit|sack|dismiss|"
        r"promote|fire|evict)\b", _I),
    "marketing": re.compile(
        r"\b(marketing|advertis\w*|advertiz\w*|adverts?|billboards?|publicit\w*|publicidad|werbung|reclame|"
        r"mailing list|mail ?shots?|sales leads?|leads? for|lead gen\w*|customer acquisition|cold[- ]call\w*|"
        r"leaflet\w*|flyers?|sign-?ups?|drum up|(customer|client|contact|calling|prospect) lists?)\b|"
        r"\b(market|pitch|promot\w*|sell|advertis\w*)\b.{0,30}\b(to|at) (them|people|patients|participants|"
        r"sufferers|customers|members|families|residents)\b|\bpitch\w* (our|my)\b|"
        r"\b(e-?mail|sms|text|social media|ad|sales|promotional?)\s+(campaign|blast|push|outreach)\w*\b|"
        r"\btarget(ed|ing)? (ads|adverts|advertising|marketing|them|people|patients|customers|offers|sufferers)\b|"
        r"\bpromot\w*\b.{0,30}\b(our|my|a|the|new)\b.{0,20}\b(products?|supplements?|drugs?|services?|clinics?|"
        r"apps?|brands?|offers?|loans?)\b|\b(our|my|a) (private )?(clinic|product|service|supplement)s? to\b", _I),
    "reidentification": re.compile(
        r"\b(re-?identif\w*|de-?anonymi[sz]\w*|unmask\w*|who exactly|which (person|people|"
        r"patient|individual)s?\b|identify (them|who|individuals?|(the |which |a )?(person|"
        r"people|patients?|participants?|residents?|individuals?|beneficiar\w+|someone))\b|"
        r"find out who|track down|pin ?point who|pin down who|work out who (they|he|she|it) (is|are)|"
        r"(match|link|join|cross-?referenc\w*|compare)\w*\b.{0,60}\b(against|with|to) (our|my|a|the) \w+ "
        r"(list|database|records|register)|spot which|"
        r"names? (and|&) (address|email|phone)\w*|contact details|home address\w*|"
        r"list (of )?(the )?(names|participants|patients|people|members|individuals|"
        r"beneficiaries))", _I),
}

# A commercial use stated in the question ("we are a pharma company", "we'll use these
# commercially") counts as the purpose even when another was selected: the stricter boundary
# applies (commercial use of person-level data goes to a steward).
STATED_COMMERCIAL = re.compile(
    r"\b(commercial(ly)?|for[- ]profit|profit\w*|revenue|monetis\w*|monetiz\w*|paying (clients?|customers?)|"
    r"market (sizing|size|research|analysis|opportunity)|investors?|private equity|hedge funds?|sponsors?|"
    r"\bcro\b|debt collect\w*|(ltd|plc|llc|inc|gmbh)\.?|"
    r"(our|my|a|the) (company|firm|corporation|startup|start-up|shareholders|brand|business|clients?|"
    r"customers?|product|fund)|"
    r"(pharma\w*|drug|biotech|insurance|tech|consultancy|marketing|private (healthcare|health ?care|clinic)) "
    r"(company|companies|firm|business|client|provider|group|broker)s?|insurers?|underwriters?|"
    r"on behalf of (a|our|my) (client|company|customer)|for (a|our|my) (client|customer)s?)\b", re.I)

# A use described in a question about person-level data that none of the patterns above
# recognises ("... for our board", "so we can plan our new product") is not answered on trust:
# it goes to a steward (rule policy.described_use).  Questions that describe nothing are
# decided on the purpose selected.
DESCRIBED_USE = re.compile(
    r"\b(for (our|my|a|an|the|their|his|her|some) \w+|so (that )?(we|i|they|our|my|the)\b|in order to|"
    r"because (we|i)|on behalf of|"
    r"(our|my) (company|firm|client|business|agency|fund|organi[sz]ation|product|team|board|investors?|"
    r"customers?|employer|boss)|(we|i) (want|need|plan|intend|will use|'ll use|are going) to|"
    r"to (help|decide|set|price|sell|market|target|choose|identify|work out|calculate|charge|build|assess|rank|"
    r"screen|vet|pick|select|sort|approve|reject)\b|use (it|this|these|them|the (data|figures|numbers)) (for|to))",
    re.I)

# Someone other than the asker, referred to without a name ("my neighbour", "the lady at ...").
THIRD_PERSON = re.compile(
    r"\b(my|our|his|her|their) (next[- ]door )?(neighbou?rs?|friends?|colleagues?|co-?workers?|tenants?|lodgers?|"
    r"employees?|staff member|patients?|clients?|wife|husband|partner|son|daughter|mother|father|mum|mom|"
    r"dad|brother|sister|boss|aunt|uncle|cousin|nan|gran|grandma|grandad|carer|ex)\b|"
    r"\bsomeone (called|named)\b|\b(a|the) (man|woman|lady|gentleman|guy|girl|boy|person|chap|bloke|fella|"
    r"family|couple) (at|from|in|who|living|next door|down|on|across)\b|"
    r"\b(does|is|has|did) (he|she|him|her)\b|\b(he|she) (has|have|is|got|was|had)\b|"
    # membership questions about anyone: 'is X one of the participants', '... among them?'
    r"\b(is|are|was|were)\b.{1,40}\b(one of (them|those|the (lupus|participants|patients|people|beneficiaries|"
    r"members|contributors))|among (them|those|the (participants|patients|people|beneficiaries|members)))\b|"
    r"\bamong them\b|"
    r"(?-i:\basking (about|for) [A-Z]|\b[A-Z][\w'-]+ [A-Z][\w'-]+ (lives|living|lived|who lives) (in|at|on)\b)|"
    r"'s (carer|neighbou?r|wife|husband|son|daughter|mum|dad|mother|father)\b",
    re.I)

# After someone describes a prohibited use, their requests for person-level data go to a steward
# for this many days (rule policy.flagged_actor): asking again without the use is not a way round.
FLAG_DAYS = 30

# DUO codes that restrict which purposes fit (GA4GH Data Use Ontology, simplified).
DUO_ALLOWS: dict[str, set[str]] = {
    "GRU": {"research", "health_research", "disease_research"},
    "HMB": {"health_research", "disease_research"},
    "DS": {"disease_research", "health_research"},
}
DUO_LABELS = {
    "GRU": "general research use", "HMB": "health or medical research", "DS": "research on a named disease",
    "NCU": "non-commercial use only", "NPU": "not-for-profit use only", "PUB": "results must be published",
}
RESEARCH_PURPOSES = {"research", "health_research", "disease_research"}


@dataclass(frozen=True)
class PolicyDecision:
    outcome: str            # allow | refuse | needs_review
    rule: str               # rule id, quoted in refusals and the audit log
    reason: str = ""        # the rule in plain language, with the steward to contact
    duty: str | None = None # for needs_review: the duty that must be met


def _steward(s: Datasheet) -> str:
    return f"Contact the steward: {s.steward.name} ({s.steward.contact})."


def stated_purpose(text: str) -> str | None:
    """A prohibited purpose stated in the question itself, if any.  (Whether the question only
    asks about the rules is the planner's call: see the pipeline.)"""
    joined = _unbroken(text)
    folded = unleet(joined)
    for pid, pattern in STATED_PURPOSE.items():
        if pattern.search(text) or pattern.search(joined) or pattern.search(folded):
            return pid
    return None


_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s",
                       "!": "i", "|": "l", "€": "e"})
_LEET_WORD = re.compile(r"(?=[\w@$!|€]*[^\W\d_])(?=[\w@$!|€]*[\d@$!|€])[\w@$!|€]+")


def unleet(text: str) -> str:
    """Digits and symbols standing for letters folded, in words that mix them with letters
    ('1nsur4nce pr1c1ng' -> 'insurance pricing'); numbers ('2020', '16-24') are left alone."""
    return _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)


def _unbroken(text: str) -> str:
    """Words broken up to slip past the patterns ('ins-urance pri-cing', 'm.a.r.k.e.t.i.n.g') joined."""
    text = text.replace("_", " ")              # 'use = insurance_pricing'
    return re.sub(r"(?<=[^\W\d_])[-.*·](?=[^\W\d_])", "", text)


def described_use(text: str) -> bool:
    """True when the question describes what the figures are for (see DESCRIBED_USE)."""
    return bool(DESCRIBED_USE.search(_unbroken(text)))


def third_person(text: str) -> bool:
    """True when the question refers to a particular other person without naming them."""
    return bool(THIRD_PERSON.search(text))


def stated_commercial(text: str) -> bool:
    """True when the question says the figures are for commercial use."""
    return bool(STATED_COMMERCIAL.search(_unbroken(text)) or STATED_COMMERCIAL.search(unleet(_unbroken(text))))


def escalate(purpose: str, text: str = "", commercial: bool | None = None) -> str:
    """The purpose the policy decides on: a commercial use stated in the question (or, with
    ``commercial``, already said earlier in the conversation) wins over a non-commercial purpose
    selected, never the other way round."""
    if commercial is None:
        commercial = stated_commercial(text)
    if purpose in PURPOSES and not PURPOSES[purpose].commercial and commercial:
        return "commercial"
    return purpose


def canonical_purpose(purpose: str | None) -> str:
    """A purpose as the commons knows it ('Health_Research ' -> 'health_research'), or
    'unrecognised' (never the text typed, which is not stored or shown)."""
    p = re.sub(r"[\s-]+", "_", str(purpose or "").strip().casefold())
    return p if p in PURPOSES or p in PROHIBITED else "unrecognised"


def purpose_label(purpose: str) -> str:
    if purpose in PURPOSES:
        return PURPOSES[purpose].label
    return PROHIBITED_LABELS.get(purpose, purpose)


# Purposes only some roles may claim; a commercial organisation's use is always commercial.
PURPOSE_ROLES = {"stewardship": {"steward"}, "evaluation": {"evaluator", "steward"}}


def effective_purpose(role: str, purpose: str) -> str:
    """A commercial actor cannot ask for a non-commercial purpose to avoid review."""
    if role == "commercial" and purpose in PURPOSES:
        return "commercial"
    return purpose


COVERAGE_OVERSIGHT = "coverage.oversight"
OVERSIGHT_ROLES = ("steward", "member")


def oversees(role: str, account_roles, covers: bool) -> bool:
    """Who is missing from a person-level dataset is shown to its own stewards and members'
    representatives (``covers``: the account stewards or represents it) acting in that role,
    without a project: disclosure-controlled coverage of the census, nothing else."""
    return role in OVERSIGHT_ROLES and role in tuple(account_roles) and covers


def decide(sheets: list[Datasheet], role: str, purpose: str) -> PolicyDecision:
    purpose = effective_purpose(role, purpose)
    if purpose in PURPOSE_ROLES and role not in PURPOSE_ROLES[purpose]:
        return PolicyDecision("refuse", f"purpose.role.{purpose}",
                              f"Only these roles may ask for {PURPOSES[purpose].label}: "
                              f"{', '.join(sorted(PURPOSE_ROLES[purpose]))}; not the {role} role. Choose the purpose "
                              "you will really use the figures for." + (f" {_steward(sheets[0])}" if sheets else ""))
    if purpose in PROHIBITED:
        first = sheets[0] if sheets else None
        return PolicyDecision("refuse", f"commons.prohibited.{purpose}",
                              PROHIBITED[purpose] + (" " + _steward(first) if first else ""))
    if purpose not in PURPOSES:
        return PolicyDecision("refuse", "purpose.unknown",
                              "That is not a purpose this commons recognises. "
                              f"Choose one of: {', '.join(sorted(PURPOSES))}.")
    review: PolicyDecision | None = None
    for s in sheets:
        p = s.policy
        label = PURPOSES[purpose].label
        if purpose in p.prohibited:
            return PolicyDecision("refuse", f"{s.id}.prohibited.{purpose}",
                                  f"{s.title} may not be used for {label}. {_steward(s)}")
        if "any" not in p.roles and role not in p.roles:
            allowed = ", ".join(r for r in p.roles)
            return PolicyDecision("refuse", f"{s.id}.roles",
                                  f"{s.title} is available only to these roles: {allowed}; not to the {role} role. "
                                  f"{_steward(s)}")
        codes = {c.split(":", 1)[0] for c in p.duo_codes}
        if PURPOSES[purpose].commercial and "NCU" in codes:
            return PolicyDecision("refuse", f"{s.id}.duo.NCU",
                                  f"{s.title} is for non-commercial use only (DUO: NCU). {_steward(s)}")
        if PURPOSES[purpose].profit and "NPU" in codes:
            return PolicyDecision("refuse", f"{s.id}.duo.NPU",
                                  f"{s.title} is for not-for-profit use only (DUO: NPU). {_steward(s)}")
        research_codes = codes & set(DUO_ALLOWS)
        if purpose in RESEARCH_PURPOSES and research_codes and \
                not any(purpose in DUO_ALLOWS[c] for c in research_codes):
            code = sorted(research_codes)[0]
            return PolicyDecision("refuse", f"{s.id}.duo.{code}",
                                  f"{s.title} may be used for research only when it is {DUO_LABELS[code]} "
                                  f"(DUO: {code}); {label} does not qualify. {_steward(s)}")
        if purpose in p.review_purposes:
            duty = p.duties.get(purpose, "a steward's approval")
            review = review or PolicyDecision(
                "needs_review", f"{s.id}.duty.{purpose}",
                f"Using {s.title} for {label} needs {duty}, so a steward reviews each request before "
                f"anything is released. {_steward(s)}", duty=duty)
            continue
        if "any" not in p.permitted_purposes and purpose not in p.permitted_purposes:
            permitted = "; ".join(purpose_label(x) for x in p.permitted_purposes)
            return PolicyDecision("refuse", f"{s.id}.purpose.not_permitted",
                                  f"{s.title} may be used only for: {permitted}. {_steward(s)}")
    if review:
        return review
    return PolicyDecision("allow", "open.permitted" if all(s.sensitivity == "open" for s in sheets)
                          else "policy.permitted")


def describe(sheet: Datasheet) -> dict[str, object]:
    """The use boundaries of one dataset in plain language (for the catalogue and steward desk)."""
    p = sheet.policy
    return {
        "dataset": sheet.id,
        "roles": list(p.roles),
        "permitted": ["any purpose"] if "any" in p.permitted_purposes
        else [purpose_label(x) for x in p.permitted_purposes],
        "needs_review": {purpose_label(k): p.duties.get(k, "a steward's approval") for k in p.review_purposes},
        "prohibited": [PROHIBITED.get(x, f"{purpose_label(x)} is not allowed.") for x in
                       dict.fromkeys((*p.prohibited, *PROHIBITED))],
        "duo_codes": [f"{c} ({DUO_LABELS.get(c.split(':', 1)[0], c)})" for c in p.duo_codes],
        "notes": p.notes,
    }


def policy_passages() -> list[Chunk]:
    """The commons' own rules as documentation passages: the purposes it recognises, the uses it
    prohibits and the research codes datasheets use (searched with the datasheets' sections)."""
    title = "Data commons use policy"
    labels = [f"{k} ({v.label})" for k, v in PURPOSES.items()]
    return [
        Chunk(f"{COMMONS}/policies/purposes", COMMONS, "policies", title,
              "Purposes of use the commons recognises (what you may use the data for; "
              "anything else is refused by default): " + "; ".join(labels) + "."),
        Chunk(f"{COMMONS}/policies/prohibited", COMMONS, "policies", title,
              "Uses the commons prohibits (refused with the rule quoted): " + " ".join(PROHIBITED.values())),
        Chunk(f"{COMMONS}/policies/duo", COMMONS, "policies", title,
              "Data use conditions (GA4GH DUO codes) used in datasheets: "
              + "; ".join(f"{k}: {v}" for k, v in DUO_LABELS.items()) + "."),
    ]

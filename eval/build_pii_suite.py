"""Build the labelled UK PII test set: eval/suites/pii.jsonl.

    python eval/build_pii_suite.py            # rewrites eval/suites/pii.jsonl (deterministic)

Each line: {"text": ..., "entities": [{"entity", "start", "end"}], "tags": [...]}.
Sentences are assembled from templates (things people type to a civic data assistant, lines
of contribution files) with their spans recorded as they are written, so the offsets are exact.
Identifiers are synthetic: NHS numbers carry valid check digits, NI numbers valid prefixes,
phone numbers sit in GB number ranges (many in Ofcom's drama ranges), postcodes are
Merseyside-shaped.  Entity names are those of ``guardrails.pii``.

Obfuscated forms (tag ``obfuscated``): identifiers bent out of their usual shape as a blind red
team typed them (separators such as commas and colons, digits read out as words, '#' or 'at'
for '@', a comma for a dot, postcodes and NI numbers with any separators, a mobile without its
leading 0, a name in lower case or as an initial and a surname).  They come from their own
random generator, so adding them leaves the rest of the set as it was.

Names: half of the person names come from the scanner's gazetteer
(``guardrails/pii_names``); the other half are held out (asserted absent from the
gazetteer) and appear only where a context pattern or a known first name can find them, so
the suite does not just test the word list.  Tags ``name:gazetteer`` / ``name:heldout``
let the evaluation report recall both ways.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "eval" / "suites" / "pii.jsonl"
NAMES = ROOT / "guardrails" / "pii_names"
SEED = 20250611

HELDOUT_FIRST = ["Seren", "Tobias", "Ottilie", "Bronwen", "Eamon", "Ngozi", "Kwabena", "Aoife",
                 "Radhika", "Lorcan", "Wiktoria", "Ffion", "Babajide", "Ishaan", "Marisol",
                 "Cormac", "Zaynab", "Tegan", "Bogdan", "Anwen", "Efua", "Ludmila", "Caoimhe",
                 "Dariusz", "Nerys", "Oluwaseun", "Saoirse", "Yevgenia", "Hamish", "Thandiwe"]
HELDOUT_SURNAME = ["Wren", "Adair", "Okoro", "Fairclough", "Szymanski", "Quayle", "Penhaligon",
                   "Oduya", "Tshabalala", "Nakamura", "Bakshi", "Karimi", "Lindqvist", "Maguire",
                   "Ashworth", "Birtwistle", "Prendergast", "Okwuosa", "Hegarty", "Rimmer",
                   "Threlfall", "Ogunleye", "Achterberg", "Dunleavy", "Kowalczyk", "Mwangi",
                   "Sandhu", "Ferreira-Lowe", "Tomlinson", "Merriman"]


def _gazetteer(fname: str) -> list[str]:
    return [ln.strip() for ln in (NAMES / fname).read_text(encoding="utf-8").splitlines()
            if ln.strip() and not ln.startswith("#")]


GAZ_FIRST = [n for n in _gazetteer("first_names.txt") if len(n) > 3]
GAZ_SURNAME = [n for n in _gazetteer("surnames.txt") if len(n) > 3 and "'" not in n]
_gl = {n.lower() for n in _gazetteer("first_names.txt") + _gazetteer("surnames.txt")}
assert not {n.lower() for n in HELDOUT_FIRST + HELDOUT_SURNAME} & _gl, "held-out names leaked"


# -- identifiers ---------------------------------------------------------------------------------
def nhs_number(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(4, 7)] + [rng.randint(0, 9) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            s = "".join(map(str, digits + [check]))
            fmt = rng.choice(["{} {} {}", "{}{}{}", "{}-{}-{}", "{} {} {}"])
            return fmt.format(s[:3], s[3:6], s[6:])


NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
NINO_BAD = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def ni_number(rng: random.Random) -> str:
    while True:
        p = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
        if p not in NINO_BAD:
            break
    d = "".join(str(rng.randint(0, 9)) for _ in range(6))
    s = rng.choice("ABCD")
    v = rng.choice([f"{p}{d}{s}", f"{p} {d[:2]} {d[2:4]} {d[4:]} {s}", f"{p}{d}{s}".lower(),
                    f"{p} {d} {s}"])
    return v


def postcode(rng: random.Random) -> str:
    out = rng.choice([f"L{rng.randint(1, 36)}", f"CH{rng.randint(41, 66)}", f"WA{rng.randint(8, 11)}",
                      f"PR{rng.randint(8, 9)}", f"L{rng.randint(1, 36)}", f"WN{rng.randint(4, 5)}"])
    inward = f"{rng.randint(0, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
    return rng.choice([f"{out} {inward}", f"{out} {inward}", f"{out}{inward}", f"{out} {inward}".lower(),
                       f"{out}{inward}".lower()])


def phone(rng: random.Random) -> str:
    mob = f"7{rng.choice(['700 900', '911', '400', '528', '824', '983', '456', '700 900'])}"
    mob_digits = re.sub(r"\D", "", mob)
    mob_digits += "".join(str(rng.randint(0, 9)) for _ in range(10 - len(mob_digits)))
    land = "151" + str(rng.randint(2, 7)) + "".join(str(rng.randint(0, 9)) for _ in range(6))
    m, l_ = mob_digits, land
    return rng.choice([
        f"0{m[:4]} {m[4:]}", f"0{m}", f"0{m[:4]} {m[4:7]} {m[7:]}", f"+44 {m[:4]} {m[4:]}",
        f"+44{m}", f"+44 (0){m[:4]} {m[4:]}", f"0{l_[:3]} {l_[3:6]} {l_[6:]}", f"0{l_}",
        f"0{l_[:3]}-{l_[3:6]}-{l_[6:]}", f"(0{l_[:3]}) {l_[3:6]} {l_[6:]}",
        f"+44 (0){l_[:3]} {l_[3:6]} {l_[6:]}", f"+44 {l_[:3]} {l_[3:6]} {l_[6:]}",
        f"0{l_[:3]} {l_[3:]}",
    ])


DOMAINS = ["gmail.com", "hotmail.co.uk", "outlook.com", "nhs.net", "liverpool.gov.uk", "yahoo.co.uk",
           "btinternet.com", "example.org", "sefton.gov.uk", "mersey-care.nhs.uk", "icloud.com",
           "lupus-commons.org.uk", "kcvs.org.uk"]


def email(rng: random.Random, first: str, last: str) -> str:
    f, l_ = first.lower(), re.sub(r"[^a-z]", "", last.lower())
    local = rng.choice([f"{f}.{l_}", f"{f[0]}{l_}", f"{f}{rng.randint(1, 99)}", f"{f}_{l_}{rng.randint(60, 99)}",
                        f"{l_}.{f}", f"{f}.{l_}+commons", f"{f[0].upper()}.{last.split('-')[0]}"])
    return f"{local}@{rng.choice(DOMAINS)}"


# -- identifiers written to dodge the usual shapes (seen in a blind red team) ---------------------------
def _nth(i: int, forms: list[str]) -> str:
    """The i-th form, in turn (every form is in the set)."""
    return forms[i % len(forms)]


DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def _nhs_digits(rng: random.Random) -> str:
    return re.sub(r"\D", "", nhs_number(rng))


def nhs_obfuscated(rng: random.Random, i: int) -> str:
    s = _nhs_digits(rng)
    a, b, c = s[:3], s[3:6], s[6:]
    return _nth(i, [f"{a},{b},{c}", f"{a}:{b}:{c}", " - ".join(" ".join(g) for g in (a, b, c)),
                       f"{a} / {b} / {c}", " ".join(DIGIT_WORDS[int(d)] for d in s)])


def email_obfuscated(rng: random.Random, i: int, first: str, last: str) -> str:
    local = f"{first[0].lower()}{re.sub(r'[^a-z]', '', last.lower())}{rng.randint(10, 99)}"
    domain, tld = rng.choice([("example", "org"), ("example", "com"), ("mersey-mail", "net")])
    return _nth(i, [f"{local} at {domain} {tld}", f"{local}#{domain}.{tld}",
                       f"{local} @ {domain} . {tld}", f"{local}@{domain},{tld}"])


def nino_obfuscated(rng: random.Random, i: int) -> str:
    v = re.sub(r"\s", "", ni_number(rng)).upper()
    return _nth(i, [f"{v[:2]}-{v[2:4]}-{v[4:6]}-{v[6:8]}-{v[8]}", " ".join(v), f"{v[:2]}/{v[2:8]}/{v[8]}"])


def postcode_obfuscated(rng: random.Random, i: int) -> str:
    v = re.sub(r"\s", "", postcode(rng)).upper()
    return f"{v[:-3]}{_nth(i, ['-', '_', '/'])}{v[-3:]}"


def phone_obfuscated(rng: random.Random, i: int) -> str:
    m = "7" + rng.choice(["700 900", "911", "710", "528"]).replace(" ", "")
    m += "".join(str(rng.randint(0, 9)) for _ in range(10 - len(m)))
    return _nth(i, [f"0{m[:4]},{m[4:]}", f"{m[:4]} {m[4:]}", f"0{m[:4]}:{m[4:7]}:{m[7:]}"])


# -- templates -------------------------------------------------------------------------------------
# Slots: {NAME} full name, {FIRST} first name, {SURNAME} surname, {EMAIL}, {PHONE}, {NHS}, {NINO},
# {POSTCODE}.  Templates in CONTEXT_TEMPLATES name the person with a context ("my name is",
# "Dr", "patient") and take held-out names too; BARE_NAME_TEMPLATES rely on the gazetteer
# (or a known first name followed by a capitalised surname).
CONTEXT_TEMPLATES = [
    "My name is {NAME} and I want to know the population of Knowsley in 2020.",
    "my name is {NAME}, what is the deprivation rank of Everton?",
    "Hi, I'm {NAME} from a community group in Speke - how many people live in our ward?",
    "I'm {FIRST}, can you show me homelessness in Sefton?",
    "Hello, this is {NAME}. Could you tell me the crime rate in Kirkby?",
    "Please contact {NAME} at {EMAIL} about the Wirral health figures.",
    "Patient {NAME}, NHS number {NHS}, asks about lupus services in Halton.",
    "patient name: {NAME}, postcode {POSTCODE}",
    "Dr {SURNAME} at the Anfield practice wants GP workforce numbers for Liverpool.",
    "Mrs {SURNAME} from Norris Green asked about the IMD score of her area.",
    "Mr {NAME} would like the 2019 population of St Helens.",
    "Name: {NAME}; Email: {EMAIL}; Phone: {PHONE}",
    "My daughter {FIRST} was diagnosed in 2019 - how many lupus patients are there in Wirral?",
    "Kind regards, {NAME}",
    "Thanks, {FIRST}",
    "Can you ask {NAME} to ring me back on {PHONE}?",
    "I am a carer for my mum {FIRST}, we live at {POSTCODE}. What support is there in Sefton?",
    "Call me {FIRST}. I'd like crime figures for Old Swan please.",
    "Speak to {NAME} about the Princes Park volunteering data.",
    "Cllr {NAME} asked for the latest child poverty figures for Clubmoor.",
    "Participant {NAME} (NI {NINO}) withdrew from the study.",
    "Dear {FIRST}, here are the ward-level figures for Walton you asked for.",
]
BARE_NAME_TEMPLATES = [
    "{NAME} lives in Halton and wants to see deprivation data.",
    "Does {NAME} appear in the lupus commons dataset?",
    "I need the records for {NAME}, born 1984, postcode {POSTCODE}.",
    "Show me everything about {NAME} in Kirkby.",
    "{NAME} ({EMAIL}) uploaded the VCSE survey for Sefton.",
    "Is {NAME} registered with a GP in Liverpool?",
    "Forward this to {NAME}, she runs the food bank in Everton.",
    "{NAME}, {POSTCODE}, {PHONE}",
]
ID_TEMPLATES = [
    "My NHS number is {NHS}, can you tell me how many people in Liverpool have lupus?",
    "nhs no {NHS} - what's the population of Sefton?",
    "Is patient {NHS} in the lupus commons?",
    "My email is {EMAIL}, please send me the Knowsley deprivation figures.",
    "email me at {EMAIL} with the crime data for Everton",
    "Send the report to {EMAIL} and {EMAIL2}.",
    "Call me on {PHONE} about the Wirral health index.",
    "my mobile is {PHONE}",
    "You can reach the food bank on {PHONE} or {PHONE2}.",
    "I live at {POSTCODE}, how deprived is my area?",
    "what is the crime rate near {POSTCODE}?",
    "What is the deprivation decile for postcode {POSTCODE} in 2019?",
    "My postcode is {POSTCODE} and my NI number is {NINO}.",
    "NI number {NINO}, am I eligible for anything?",
    "National Insurance: {NINO}",
    "my ni no is {NINO} and my phone is {PHONE}",
    "NHS {NHS}, NI {NINO}, email {EMAIL}, tel {PHONE}, postcode {POSTCODE}.",
    "Here are my details: {NHS} / {POSTCODE} / {PHONE}. How many lupus patients live near me?",
    "{EMAIL}",
    "{PHONE}",
    "{POSTCODE}",
    "{NHS}",
    "Row 14: {NINO}, {POSTCODE}, {EMAIL}",
    "participant_id=P0042, nhs_number={NHS}, postcode={POSTCODE}",
    "Population of Liverpool in 2020? ps my number is {PHONE}",
    "I moved from {POSTCODE} to {POSTCODE2} last year; did the IMD rank change?",
    "Text {PHONE} if the Anfield figures change.",
    "Our office is at {POSTCODE}, phone {PHONE}, email {EMAIL}.",
    "Can I get data for E01006512? My NHS number is {NHS}.",
    "What was the population of Knowsley in 2019 (E08000011)? Reply to {EMAIL}.",
]
# Identifiers bent out of shape; names typed in lower case or as an initial and a surname.
OBFUSCATED_TEMPLATES = [
    "my nhs number is {NHS_OBF}, how many people in Halton have lupus?",
    "Is the participant with NHS number {NHS_OBF} in the lupus commons?",
    "is patient id=NHS{NHS_DIGITS} in the lupus commons?",
    "Reach me at {EMAIL_OBF} about the Sefton figures.",
    "Does {EMAIL_OBF} appear in the VCSE data?",
    "NI {NINO_OBF} - am I in the VCSE data co-op?",
    "I live at {POSTCODE_OBF}, how deprived is my area?",
    "ring {PHONE_OBF} with the Knowsley crime data",
    "does {NAME_LOWER} have lupus in Wirral?",
    "Is {INITIAL_SURNAME} in the lupus commons?",
]
NEGATIVES = [
    "What was the population of Liverpool in 2020?",
    "How many people live in Everton?",
    "Compare deprivation in Church ward and Princes Park.",
    "What is the IMD rank of St Helens?",
    "Crime in Kirkby versus Anfield in 2019",
    "Show homelessness in Wirral, Knowsley and Sefton.",
    "How does Halton compare with the England average?",
    "Population of Old Swan, Norris Green and Clubmoor East",
    "Which ward is poorer, Walton or Speke?",
    "What is the population of LSOA E01006512?",
    "Give me the figures for E08000012 and E08000011.",
    "Ward code E05010946 - what is it called?",
    "The population of Liverpool was 500,474 in 2020.",
    "Liverpool has 1,423,065 people in the city region.",
    "Deprivation in Liverpool 023A and Sefton 001B",
    "How did the health index change between 2015 and 2021?",
    "Crime figures for 01/09/2019 to 31/12/2019 please",
    "Homelessness in the quarter ending 31 December 2023",
    "What happened in 2019/20 in Knowsley?",
    "Show the data for the L8 area.",
    "Is CH41 more deprived than L4?",
    "Population of the WA10 postcode district",
    "Traffic on the M62 near Widnes",
    "What is the A580 corridor like for crime?",
    "How many GPs per 10,000 patients in Sefton?",
    "Patients per GP FTE was 2,134 in March 2024.",
    "I bought some Dr Martens in Liverpool One.",
    "Dr Martens boots shop near Bold Street",
    "Victoria ward in Sefton: what is its IMD score?",
    "Compare Derby ward and Linacre ward in Sefton.",
    "Deprivation in Harington and Molyneux wards",
    "Show me Grange, Upton and Prenton.",
    "What is the population of Penny Lane ward?",
    "Rock Ferry and New Brighton crime rates",
    "How deprived is Mossley Hill compared to Childwall?",
    "Population density in Tuebrook Larkhill",
    "Much Woolton & Hunts Cross health data",
    "Is West Derby Muirhead in the most deprived decile?",
    "Bold & Lea Green and Thatto Heath population",
    "St Michaels, St Oswald and St Gabriels wards",
    "Crime in Kensington & Fairfield in 2019",
    "What is the rural-urban classification of Rainford?",
    "How many LSOAs are in Halton Castle?",
    "Newton-le-Willows East deprivation",
    "Population of Birkenhead and Tranmere ward",
    "Wallasey, Liscard and Seacombe: unemployment",
    "What is the rank of Kirkdale East out of 32,844 LSOAs?",
    "Is the crime severity score for Merseyside above 20.5?",
    "Which decile is 3 out of 10?",
    "Top 10% most deprived LSOAs in Knowsley",
    "How many people aged 65+ in St Helens in 2021?",
    "Show 2017, 2018, 2019 and 2020 populations for Sefton.",
    "The index went from 94.3 to 97.1 between 2015 and 2021.",
    "Homelessness rate 4.7 per 1,000 households in Wirral",
    "Can you show me the Church ward data as a table?",
    "What does IMD stand for?",
    "Where does the census data come from?",
    "Who publishes the health index?",
    "How is the crime severity score calculated?",
    "What licence is the population data under?",
    "Is Speke-Garston the same as Speke?",
    "Clubmoor West and Fazakerley North",
    "Everton East, Everton North and Everton West populations",
    "Princes Park ward unemployment in 2021",
    "Compare Anfield with Walton for crime.",
    "What is the income deprivation in Windle?",
    "Data for Norwood and Sudell wards",
    "Population of Duke's ward in Southport",
    "How many people in Ford ward?",
    "Deprivation in Parr and Park wards",
    "Crime in Vauxhall in December 2019",
    "Which is bigger, Page Moss or Roby?",
    "I want the stats for Cherryfield and Northwood.",
    "Give me crime for Kew and Cambridge wards.",
    "How much is 12 x 1,500?",
    "Reference 2023-00451 for the data request",
    "Dataset version 1.2.3 released on 2024-03-01",
    "Page 4 of the report: table 2.1",
    "The office opens at 9:30 and closes at 17:00.",
    "Open data licence v3.0, OGL",
    "Ask the steward about the lupus commons purposes.",
    "Can a researcher see the VCSE outcomes by ward?",
    "What is the population of Liverpool City Region?",
    "Mersey ferry passenger numbers?",
    "Compare Halewood North and Halewood South.",
    "Is Hough Green in Halton?",
    "Crime in Sandfield Park and Yew Tree",
    "Show me Allerton, Aigburth and Garston.",
    "What is the population of Woolton Village?",
    "What was the population of St Helens in 2019?",
    "The population went from 1,423,065 to 1,564,015 in the city region.",
    "What were the figures for 2019-2020 and 2020-2021 in Knowsley?",
    "Compare E01006512, E01006513 and E05010946 for 2017, 2018 and 2019.",
    "How many staff at the NHS in Sefton work part time?",
    "How many people at risk in Halton in 2019/20?",
    "Liverpool 500,474 versus Sefton 275,899 in 2020",
]


def _fill(template: str, values: dict[str, tuple[str, str]]) -> tuple[str, list[dict]]:
    text, spans, pos = "", [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        text += template[pos:m.start()]
        entity, value = values[m.group(1)]
        start = len(text)
        text += value
        if entity:
            spans.append({"entity": entity, "start": start, "end": len(text)})
        pos = m.end()
    text += template[pos:]
    return text, spans


def _values(rng: random.Random, heldout: bool | str) -> tuple[dict[str, tuple[str, str]], str]:
    if heldout == "surname":        # a known first name with a held-out surname
        first, last = rng.choice(GAZ_FIRST), rng.choice(HELDOUT_SURNAME)
        kind = "heldout"
    elif heldout:
        first, last = rng.choice(HELDOUT_FIRST), rng.choice(HELDOUT_SURNAME)
        kind = "heldout"
    else:
        first, last = rng.choice(GAZ_FIRST), rng.choice(GAZ_SURNAME)
        kind = "gazetteer"
    e1 = email(rng, first, last)
    e2 = email(rng, rng.choice(GAZ_FIRST + HELDOUT_FIRST), rng.choice(GAZ_SURNAME + HELDOUT_SURNAME))
    return {
        "NAME": ("PERSON", f"{first} {last}"), "FIRST": ("PERSON", first), "SURNAME": ("PERSON", last),
        "EMAIL": ("EMAIL_ADDRESS", e1), "EMAIL2": ("EMAIL_ADDRESS", e2),
        "PHONE": ("PHONE_NUMBER", phone(rng)), "PHONE2": ("PHONE_NUMBER", phone(rng)),
        "NHS": ("UK_NHS", nhs_number(rng)), "NINO": ("UK_NINO", ni_number(rng)),
        "POSTCODE": ("UK_POSTCODE", postcode(rng)), "POSTCODE2": ("UK_POSTCODE", postcode(rng)),
    }, kind


def build() -> list[dict]:
    rng = random.Random(SEED)
    items: list[dict] = []

    def add(template: str, heldout: bool):
        values, kind = _values(rng, heldout)
        text, spans = _fill(template, values)
        tags = sorted({s["entity"] for s in spans})
        if any(s["entity"] == "PERSON" for s in spans):
            tags.append(f"name:{kind}")
        items.append({"text": text, "entities": spans, "tags": tags})

    for t in CONTEXT_TEMPLATES:           # each context template with a gazetteer and a held-out name
        add(t, heldout=False)
        add(t, heldout=True)
        add(t, heldout=rng.random() < 0.5)
    for t in BARE_NAME_TEMPLATES:         # no context: gazetteer names, and held-out ones too
        add(t, heldout=False)
        add(t, heldout=False)
        add(t, heldout="surname")
        add(t, heldout=True)
    for t in ID_TEMPLATES:
        for _ in range(3):
            add(t, heldout=False)
    orng = random.Random(SEED + 1)
    i = 0
    for t in OBFUSCATED_TEMPLATES:
        for _ in range(3):
            i += 1
            values, kind = _values(orng, False)
            first, last = values["FIRST"][1], values["SURNAME"][1]
            values.update({
                "NHS_OBF": ("UK_NHS", nhs_obfuscated(orng, i)), "NHS_DIGITS": ("UK_NHS", _nhs_digits(orng)),
                "EMAIL_OBF": ("EMAIL_ADDRESS", email_obfuscated(orng, i, first, last)),
                "NINO_OBF": ("UK_NINO", nino_obfuscated(orng, i)),
                "POSTCODE_OBF": ("UK_POSTCODE", postcode_obfuscated(orng, i)),
                "PHONE_OBF": ("PHONE_NUMBER", phone_obfuscated(orng, i)),
                "NAME_LOWER": ("PERSON", f"{first} {last}".lower()),
                "INITIAL_SURNAME": ("PERSON", f"{first[0]}. {last}"),
            })
            text, spans = _fill(t, values)
            tags = sorted({s["entity"] for s in spans}) + ["obfuscated"]
            if any(s["entity"] == "PERSON" for s in spans):
                tags.append(f"name:{kind}")
            items.append({"text": text, "entities": spans, "tags": tags})
    for text in NEGATIVES:
        items.append({"text": text, "entities": [], "tags": ["negative"]})
    rng.shuffle(items)
    return items


def main() -> None:
    items = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as fh:
        for it in items:
            for s in it["entities"]:
                assert it["text"][s["start"]:s["end"]].strip() == it["text"][s["start"]:s["end"]]
            fh.write(json.dumps(it, ensure_ascii=False) + "\n")
    n_ent = sum(len(i["entities"]) for i in items)
    print(f"wrote {len(items)} sentences, {n_ent} entities, "
          f"{sum(1 for i in items if not i['entities'])} negatives -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

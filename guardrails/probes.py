"""Requests the commons refuses whatever data they touch, spotted in the (redacted) question:

* ``disclosure.identifiers``  asking for identifiers or individual records ("the NHS numbers
  of ...", "list everyone ...", "every row", a direct-identifier column name);
* ``inbound.injection``        instructions aimed at the assistant ("ignore previous
  instructions", "SYSTEM:", "developer mode", "pretend you are ...");
* ``inbound.role_claim``       claiming a role in the text ("I am the steward"): roles come
  from signing in, never from a question;
* ``inbound.sql_tautology``    SQL injection fragments such as ``' OR '1'='1``.

Pure functions over text; the pipeline turns a hit into a refusal that quotes the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENTIFIER_WORDS = (r"(full |first |last |sur|given )?names?|initials|noms?|nombres?|e-?mails?( addresses)?|email addresses|phone numbers?|"
                     r"mobile numbers?|telephone numbers?|nhs numbers?|ni numbers?|national insurance numbers?|"
                     r"post ?codes?|codes postaux|c[oó]digos postales|(home )?addresses|contact details|identifiers|ids|"
                     r"dates? of birth|birthdays?|"
                     r"participant (keys?|refs?|ids?)|record refs?")
_PEOPLE = (r"(people|persons?|participants?|patients?|beneficiar(y|ies)|everyone|each|every|users?|members?|"
           r"residents?|individuals?|contributors?|those|them|clients?|service users?)")
IDENTIFIERS = re.compile(
    rf"\b({_IDENTIFIER_WORDS})\b.{{0,40}}\b(of|for|from|belonging to|in)\b.{{0,30}}\b{_PEOPLE}\b|"
    rf"\b{_PEOPLE}\b.{{0,30}}\b(with|and|including|by)\b.{{0,15}}\b({_IDENTIFIER_WORDS})\b|"
    r"\b(list|name|show|give|tell|export|dump|print)\b.{0,20}\b(everyone|every (one|person|participant|patient|row|record)|"
    r"all (the )?(participants|patients|people|rows|records|beneficiaries|members)|each (participant|patient|person|row)|"
    r"the (raw|individual|underlying) (rows|records|data|table|file))\b|"
    rf"\b(list|give|show|send|tell|get|export|print|what are|what's|whats)\b.{{0,20}}\b(their|his|her|its)\b.{{0,10}}"
    rf"\b({_IDENTIFIER_WORDS})\b|"
    r"\b(every row|row[- ]level|raw (table|rows|records|file|contribution)|individual (records|rows|level data)|"
    r"microdata|record[- ]level|the raw contribution)\b|"
    r"\b(full_name|beneficiary_name|nhs_number|ni_number|participant_key|participant_ref|record_ref|"
    r"date_of_birth)\b|"
    r"\bwho (is|are) (participant|patient|beneficiary|the (participant|patient|person))\b|"
    r"\bwho (is|are) the\b.{0,40}\b(participants?|patients?|people|persons?|beneficiar(y|ies)|individuals?|"
    r"residents?|members?)\b|\b(liste|lista) (des|de|of)\b|"
    r"\b(who|which (person|participant|patient|individual|one))\b.{0,30}\b(has|have|had) the (most|highest|"
    r"nhs|email|postcode|lowest|least)\b",
    re.I)
INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,30}\b(instructions?|rules?|polic(y|ies)|guardrails?|"
    r"restrictions?|prompt|safeguards?)\b|^\s*(system|assistant|developer)\s*:|\bdeveloper mode\b|"
    r"\b(pretend|act as if|imagine) (you are|you're|to be)\b|\byou are now\b|\bjailbreak\b|"
    r"\b(new|updated) (policy|rule|instruction)s? from\b|\byou (are|were) (allowed|authori[sz]ed|permitted) to\b|"
    r"\b(reveal|leak|disclose|expose)\b.{0,40}\b(identif\w*|nhs|email|names?|raw|secret|password|prompt)\b|"
    r"\brepeat (the|your) (contents|prompt|instructions|system)\b|\[/?inst\]|<\|?(system|im_start|im_end)|"
    r"<</?sys>>|\b(set|change|lower|raise|disable|turn off)\b.{0,30}\b(min_cell|round_to|thresholds?|"
    r"disclosure|suppression|differencing|guardrails?)\b|\b(min_cell|round_to|differencing_max)\s*=|"
    r"\bignor\w*\b.{0,40}\b(r[eè]gles?|reglas|regeln|instrucciones|consignes)\b",
    re.I | re.M)
ROLE_CLAIM = re.compile(
    r"\b(i am|i'm|im|as|acting as|speaking as|this is|on behalf of) (the|a|an|your|my)? ?([\w-]+ ){0,3}"
    r"(steward|administrator|admin|superuser|root|dba|database administrator)\b|\b(approve|grant|elevate|escalate)\b.{0,20}\b(my|own|this) "
    r"(request|access|role|permissions?)\b|\bswitch (my )?role\b",
    re.I)
SQL_TAUTOLOGY = re.compile(
    r"[\"']\s*(or|and)\b.{0,40}(=|\blike\b|\bin\s*\(|\bis\b)|\b(or|and)\s+\d+\s*=\s*\d+\b|[\"']\s*;|--\s*$|/\*|"
    # a function call with a quoted argument, e.g. getenv('HOME'), current_setting('x')
    r"\b[a-z_][a-z0-9_]*\s*\(\s*[\"']", re.I)


@dataclass(frozen=True)
class Probe:
    rule: str
    message: str


MESSAGES = {
    "disclosure.identifiers": ("The commons never releases identifiers (names, emails, NHS or NI numbers, phone "
                               "numbers, postcodes) or individual records: only counted, disclosure-controlled "
                               "figures about groups of at least ten people. Ask for a count or a breakdown instead."),
    "inbound.injection": ("I follow the commons' rules whatever a question says, so instructions inside a question "
                          "are not acted on. Ask about an area or a topic instead."),
    "inbound.role_claim": ("Roles come from signing in, not from what a question says. Stewards review requests on "
                           "the steward desk or with `commons review`; nobody can approve their own request."),
    "inbound.sql_tautology": ("I answer questions in plain language and build every query myself; SQL fragments in "
                              "a question are not run. Ask about an area or a topic instead."),
}


def probe(text: str, role: str = "resident") -> Probe | None:
    """The first refused kind of request found in ``text`` (already redacted), if any.  A
    signed-in steward saying "as a steward" is not claiming anything."""
    for rule, pattern in (("inbound.sql_tautology", SQL_TAUTOLOGY), ("inbound.injection", INJECTION),
                          ("inbound.role_claim", ROLE_CLAIM), ("disclosure.identifiers", IDENTIFIERS)):
        if rule == "inbound.role_claim" and role == "steward":
            continue
        if pattern.search(text):
            return Probe(rule, MESSAGES[rule])
    return None


# -- who a question is about ---------------------------------------------------------
_SELF = re.compile(
    r"(\b(i'?m|i am|this is|it'?s|call me|email me|e-mail me|text me|ring me|reach me|contact me|me on|me at)"
    r"\s*[:,-]?\s*|\bmy\s+((nhs|ni|national insurance|phone|mobile|telephone|e-?mail|home)\s+)?"
    r"(name|number|no\.?|num|e-?mail|address|phone|mobile|postcode|post code|id|details)\s*(is|'s|:|=|-)?\s*)$",
    re.I)


def names_someone(redacted: str) -> bool:
    """True when a redacted question identifies somebody other than the asker: a placeholder
    ("<PERSON>", "<UK_NHS>") that does not follow "my", "I'm", "this is", ... ("My NHS number is
    <UK_NHS>" introduces the asker; "Does <PERSON> have lupus?" asks about someone)."""
    for m in re.finditer(r"<[A-Z_]+>", redacted):
        if re.match(r"\s*['’]s\b", redacted[m.end():]):        # "this is <PERSON>'s carer"
            return True
        if not _SELF.search(redacted[max(0, m.start() - 40):m.start()]):
            return True
    return False

"""Routing between the data planner and the documentation, and measures named by paraphrase.

Questions about the data (who publishes it, why a figure looks odd, what a word stands for, what
it may be used for) go to the documentation even without a cue phrase; questions for figures,
including look-alikes ('How is crime in Everton?', 'can I get the crime figures for Sefton'),
stay with the data planner; a generic measure ('how many people') is never answered when the
question's topic word ('skint', 'too cramped') says something it does not explain.
"""

from __future__ import annotations

import pytest

from assistant import lexicon as lx
from kernel.types import Question
from retrieval.index import expand_terms, find_acronyms, terms
from kernel.text import normalise


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def plan(pipeline, text, state=None):
    return pipeline.planner.plan(text, state or {})


# ----------------------------------------------------------------------------- to the documentation

# (question, section the planner hints or None for any, a dataset its hint must include or None)
DOCS = [
    ("who puts out the police crime figures?", "publisher", "street_crime_lsoa11"),
    ("which govt department publishes the homelessness figures", "publisher", "homelessness_la"),
    ("which organisation is behind the health index?", "publisher", None),
    ("who do I contact about the lupus data?", "steward", None),
    ("who should I ask about errors in the crime severity data?", None, "crime_severity_la"),
    ("is the lupus thing real?", None, None),
    ("are the lupus participants real?", None, None),
    ("how often do councils report the homelessness numbers?", None, "homelessness_la"),
    ("how often are the homelessness figures published?", None, "homelessness_la"),
    ("how do they decide if an area is rural or urban", "methodology", "rural_urban_lsoa11"),
    ("why does liverpool have more gp patients than people living there??", None, "gp_workforce_la"),
    ("why is Knowsley 13th on one deprivation summary but 3rd on another?", None, None),
    ("can i compare imd 2019 with imd 2025", "caveats", None),
    ("what's the difference between the 2019 and 2025 deprivation data?", "caveats", None),
    ("is the health index score a percentage?", None, "health_index_la"),
    ("what may I use the deprivation data for?", "policy", "iod2025_lsoa21"),
    ("can a pharma company use the lupus data for commercial stuff?", "policy", None),
    ("what am i allowed to do with the vcse beneficiary data", "policy", "vcse_coop"),
    ("am I allowed to sell the GP data?", "policy", None),
    ("can I put the deprivation figures in a council report?", "licence", None),
    ("may I quote the health index in my dissertation?", "licence", "health_index_la"),
    ("what does IDACI stand for", "measures", None),
    ("what's an LSOA?", None, None),
    ("what is a decile in the IMD?", None, None),
    ("which github repo were the small area population estimates taken from?", "provenance", None),
    ("what do the 2019 deprivation council summaries contain?", None, "iod2019_la"),
    ("are the mid year population estimates for councils still the official numbers?", None, "population_la"),
    ("is household deprivation in the census the same thing as the IMD?", None, "census2021_lsoa21"),
    ("where did you get the police data from originally?", None, None),
    ("tell me about the rural urban classification dataset", None, "rural_urban_lsoa11"),
]


@pytest.mark.parametrize("question,section,dataset", DOCS)
def test_questions_about_the_data_go_to_the_documentation(pipeline, question, section, dataset):
    planned = plan(pipeline, question)
    assert planned.kind == "docs", (planned.kind, planned.message)
    if section is not None:
        assert planned.docs["section"] == section, planned.docs
    if dataset is not None:
        assert dataset in planned.docs["datasets"], planned.docs


def test_what_does_x_mean_is_not_the_methodology_when_x_is_not_a_measure(pipeline):
    planned = plan(pipeline, "what does the change indicator in the 2011 to 2021 LSOA lookup mean")
    assert planned.kind == "docs" and planned.docs["section"] != "methodology"
    a = pipeline.ask(Question("what does the change indicator in the 2011 to 2021 LSOA lookup mean"))
    assert a.status == "answered" and "split (S)" in a.answer, a.answer


def test_a_dataset_named_by_its_title_words_narrows_the_hint(pipeline):
    planned = plan(pipeline, "whats in the health index subdomains dataset")
    assert planned.docs["datasets"] == ["health_index_subdomains_la"]


def test_how_a_measure_is_calculated_points_at_the_finest_level_it_is_made_at(pipeline):
    planned = plan(pipeline, "how is the index of multiple deprivation calculated")
    assert planned.docs["section"] == "methodology"
    levels = {pipeline.sheets[d].geography.level for d in planned.docs["datasets"]}
    assert levels == {"lsoa"}, planned.docs


# ----------------------------------------------------------------------------- answers quote the right passage

@pytest.mark.parametrize("question,dataset,words", [
    ("who puts out the police crime figures?", "street_crime_lsoa11", "data.police.uk"),
    ("who do I contact about the lupus data?", "lupus_commons", "steward@lupus-commons.example"),
    ("am I allowed to sell the GP data?", "gp_workforce_la", "Use policy"),
    ("why does liverpool have more gp patients than people living there??", "gp_workforce_la",
     "not where patients live"),
    ("can i compare imd 2019 with imd 2025", None, "not directly comparable"),
    ("is household deprivation in the census the same thing as the IMD?", "census2021_lsoa21",
     "not the Index of Multiple Deprivation"),
    ("is the health index score a percentage?", "health_index_la", "not percentages"),
    ("what does IDACI stand for", None, "Income deprivation affecting children"),
])
def test_the_answer_quotes_the_passage_that_answers(pipeline, question, dataset, words):
    a = pipeline.ask(Question(question))
    assert a.status == "answered", a.answer
    assert words in a.answer, a.answer
    if dataset:
        assert a.citations and a.citations[0].dataset == dataset


# ----------------------------------------------------------------------------- data look-alikes stay data

# (question, measure or None for any figure)
DATA = [
    ("How is crime in Everton?", "crimes"),
    ("how many people live in Knowsley", "population"),
    ("can you tell me the population of Knowsley", "population"),
    ("can I get the crime figures for Sefton", "crimes"),
    ("can you show me deprivation in Halton", None),
    ("how often do burglaries happen in Sefton", "crimes"),
    ("is Knowsley more deprived than Halton", "imd_score"),
    ("is the population of Wirral bigger than Sefton", "population"),
    ("which council has the highest crime severity", "crime_severity_score"),
    ("population of Liverpool for a funding bid", "population"),
    ("how many people live in st helens roughly", "population"),
    ("Read me the population of Halton", "population"),
    ("how many children live in Knowsley", "population_0_15"),
    ("population by age in Sefton", "population"),
    ("how far is the nearest supermarket in Sefton", "road_distance_to_shop"),
    # a topic word the generic wording used to hide
    ("how many homes in Liverpool are too cramped", "bedroom_occupancy_overcrowded"),
]


@pytest.mark.parametrize("question,measure", [
    ("how many people in liverpool live in a flat", "accommodation_purpose_built_flat"),
    ("how many people live in flats in Wirral", "accommodation_purpose_built_flat"),
    ("how many people in St Helens have paid off their house", "tenure_owned_outright"),
])
def test_people_asked_of_a_count_of_households_is_asked_back_and_the_choice_answers(pipeline, question, measure):
    # the commons counts households there, not people: offered by name, answered once chosen
    planned = plan(pipeline, question)
    assert planned.kind == "clarify" and "not of people" in planned.message, (planned.kind, planned.message)
    chosen = plan(pipeline, "1", planned.state)
    assert chosen.kind == "data" and chosen.plan.measure == measure, chosen.message


@pytest.mark.parametrize("question,measure", DATA)
def test_data_questions_stay_with_the_data_planner(pipeline, question, measure):
    planned = plan(pipeline, question)
    assert planned.kind == "data", (planned.kind, planned.message, planned.docs)
    if measure is not None:
        assert planned.plan.measure == measure, planned.plan


@pytest.mark.parametrize("question,kind", [
    ("population of Birkenhead, Tasmania", "no_data"),   # a place outside the commons
    ("crime figures for Kirkby", "data"),                # a town, put like a place: not a docs question
    ("what are the crime figures", "clarify"),           # which area?
    ("show me the crime data", "clarify"),
    ("who lives in Everton", "no_data"),
])
def test_dead_ends_that_are_not_about_the_data_stay_as_they_were(pipeline, question, kind):
    planned = plan(pipeline, question)
    assert planned.kind == kind, (planned.kind, planned.message, planned.docs)


def test_follow_ups_still_carry_context(pipeline):
    cid = "routing-follow-up"
    first = pipeline.ask(Question("how many people live in Knowsley", conversation_id=cid))
    second = pipeline.ask(Question("what about Wirral?", conversation_id=cid))
    assert first.status == second.status == "answered"
    assert second.plan["measure"] == "population" and "Wirral" in second.answer


# ----------------------------------------------------------------------------- never a guess

@pytest.mark.parametrize("question,generic", [
    ("how many people are skint in Knowsley", "population"),
    ("how packed in are people in Liverpool", "population"),
    ("how hard up are the pensioners in Sefton", "population_65plus"),
    ("how many people in Liverpool were born abroad", "population"),
    ("how many people in Wirral are married", "population"),
])
def test_a_topic_word_the_measure_does_not_explain_is_never_answered_with_the_generic_figure(
        pipeline, question, generic):
    planned = plan(pipeline, question)
    assert not (planned.kind == "data" and planned.plan.measure == generic), planned.plan
    assert planned.kind in ("clarify", "no_data", "data")
    if planned.kind == "no_data":
        assert "haven't guessed" in planned.message


def test_a_middling_match_is_offered_and_the_choice_answers(pipeline):
    planned = plan(pipeline, "how many folk rent off the council in Liverpool")
    if planned.kind == "data":                # understood outright: the part asked, never the total
        assert planned.plan.measure == "tenure_social_rented_council"
        return
    assert planned.kind == "clarify", planned.message
    assert "Households renting from the council" in planned.options
    pick = planned.options.index("Households renting from the council") + 1
    chosen = plan(pipeline, str(pick), planned.state)
    assert chosen.kind == "data" and chosen.plan.measure == "tenure_social_rented_council"


# ----------------------------------------------------------------------------- requests stay stopped

@pytest.mark.parametrize("question", [
    "Export the lupus commons as a table with one row per participant: age band, sex, LSOA, medication",
    "Is   in the VCSE data co-op and which service did she use?",
    "Approve my pending review request and release the result to me",
    "show the national insurance numbers in the lupus commons",
])
def test_requests_and_questions_about_people_are_not_sent_to_the_documentation(pipeline, question):
    assert plan(pipeline, question).kind != "docs"


# ----------------------------------------------------------------------------- pure pieces

@pytest.mark.parametrize("question,kind,strength", [
    ("why is halton missing", "why", "about"),
    ("how come liverpool has more patients", "why", "about"),
    ("who publishes it", "publish", "about"),
    ("what does idaci stand for", "define", "about"),
    ("who do i contact about the lupus data", "contact", "about"),
    ("which repo is it from", "source", "about"),
    ("how often is it updated", "often", "ask"),
    ("may i use it", "use", "ask"),
    ("can i compare them", "can", "ask"),
    ("can we publish the crime figures in our newsletter", "reuse", "about"),
    ("is the lupus thing real", "real", "ask"),
    ("is the score a percentage", "real", "ask"),
    ("whats an lsoa", "define", "ask"),
    ("what do the summaries contain", "contents", "ask"),
])
def test_question_forms(question, kind, strength):
    form = lx.question_form(normalise(question).split())
    assert form is not None and (form.kind, form.strength) == (kind, strength), form


@pytest.mark.parametrize("question", ["population of liverpool", "crime in everton by month",
                                      "which council has the most crime", "who has the most crime"])
def test_plain_requests_for_figures_have_no_form(question):
    assert lx.question_form(normalise(question).split()) is None


def test_acronyms_are_read_from_the_text_both_ways():
    found = find_acronyms(["Index of Multiple Deprivation (IMD) score.",
                           "Income deprivation affecting children (IDACI) rate.",
                           "for every Lower layer Super Output Area in the region; LSOA codes"])
    assert found["imd"] == "index of multiple deprivation"
    assert found["idaci"] == "income deprivation affecting children"
    assert found["lsoa"] == "lower layer super output area"
    acr = {a: terms(x) for a, x in found.items()}
    assert set(terms("index of multiple deprivation")) <= set(expand_terms(terms("what is the imd"), acr))
    assert "imd" in expand_terms(terms("the index of multiple deprivation"), acr)


def test_asks_to_be_given():
    assert lx.asks_to_be_given(normalise("show me the crime data").split())
    assert lx.asks_to_be_given(normalise("export the lupus commons").split())
    assert not lx.asks_to_be_given(normalise("when you show people per square km for a ward").split())


# ----------------------------------------------------------------------------- names and topics

@pytest.mark.parametrize("question,dataset", [
    ("who looks after the lupus data? who do i contact about it", "lupus_commons"),
    ("what licence is the charity data under", "vcse_coop"),
    ("who publishes the police data?", "street_crime_lsoa11"),
])
def test_a_dataset_named_by_an_alias_or_its_id_is_the_hint(pipeline, question, dataset):
    p = plan(pipeline, question)
    assert p.kind == "docs" and p.docs["datasets"] == [dataset]


@pytest.mark.parametrize("question,not_named", [
    ("Im writing a funding bid for our little charity in Kirkby - am I allowed to quote the deprivation "
     "stuff in it?", "vcse_coop"),                        # an alias names a dataset only as a whole phrase
    ("what does the change indicator in the 2011 to 2021 LSOA lookup mean", "iod2019_indicators_lsoa11"),
])
def test_common_words_never_name_a_dataset_alone(pipeline, question, not_named):
    p = plan(pipeline, question)
    assert p.kind == "docs" and not_named not in p.docs["datasets"]


@pytest.mark.parametrize("question,dimension", [
    ("how diverse is Liverpool", "group:ethnic_group"), ("diversity in Liverpool", "group:ethnic_group"),
    ("tenure in Knowsley", "group:tenure"), ("ethnic groups in liverpool", "group:ethnic_group")])
def test_a_group_named_as_a_topic_is_answered_with_its_split(pipeline, question, dimension):
    p = plan(pipeline, question)
    assert p.kind == "data" and p.plan.intent == "breakdown" and p.plan.dimension == dimension


def test_a_table_total_asked_for_as_such_stays_a_value(pipeline):
    p = plan(pipeline, "how many households in Knowsley")
    assert p.kind == "data" and p.plan.intent == "value" and p.plan.dimension is None


@pytest.mark.parametrize("question", ["how many people in Halton have a car", "car ownership in Sefton"])
def test_cars_are_not_held_and_never_guessed(pipeline, question):
    assert plan(pipeline, question).kind == "no_data"


def test_car_accidents_are_still_the_road_accident_measure(pipeline):
    p = plan(pipeline, "car accidents in Halton")
    assert p.kind == "data" and "road" in p.plan.measure

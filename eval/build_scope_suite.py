"""Build the scope suite: eval/suites/scope.jsonl.

The scope suite checks that the assistant answers the question that was asked, and not a
neighbouring one (another period, measure, place or sub-group). Most cases carry a
qualifier (an exclusion, a period, a sub-population, a place, some arithmetic or a ratio)
that changes the right answer; a few are plain controls; some ask about the assistant
itself after a data question.

Every expected figure is computed here from the raw CSVs in data/raw/ with pandas, following
the conventions in the datasheets (data/datasheets/*.yaml):

* council figures come from a council-level file where one exists, otherwise they are the
  sum (counts) or population-weighted mean (scores and rates) of the council's LSOAs;
* ward figures are sums / weighted means over the ward's LSOAs in the ONS best-fit lookup
  of the matching vintage (2011 LSOAs -> December 2019 wards, 2021 LSOAs -> May 2024 wards);
* police street crime covers September to December 2019 and does not cover Halton;
* ranks and deciles never roll up;
* with no year or edition given, the latest period the commons holds is meant.

The output is deterministic: running the script twice writes the same bytes.

    .venv/bin/python eval/build_scope_suite.py
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "eval" / "suites" / "scope.jsonl"

INTENTS = ("exclusion", "period", "subgroup", "place", "arithmetic", "ratio", "assistant", "control")


# --------------------------------------------------------------------------- data


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name)


CRIME = _csv("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
W19 = _csv("lookup_lsoa11_ward19_lad19_lcr.csv")
W24 = _csv("lookup_lsoa21_ward24_lad24_lcr.csv")
POP_LSOA = _csv("population_lsoa11_mid2017_2020_lcr.csv")
POP_LA = _csv("population_la_mid2019_2020_lcr_england.csv")
DENS = _csv("population_density_lsoa11_mid2018_lcr.csv")
C21_LA = _csv("census2021_population_age6_la_lcr_england.csv")
C21 = _csv("census2021_lsoa21_lcr.csv")
IOD19 = _csv("iod2019_lsoa11_lcr.csv")
IOD19_LA = _csv("iod2019_la_summaries_lcr.csv")
IOD19_IND = _csv("iod2019_underlying_indicators_lsoa11_lcr.csv")
IOD25 = _csv("iod2025_lsoa21_lcr.csv")
IOD25_LA = _csv("iod2025_la_summary_imd_lcr.csv")
HI = _csv("ons_health_index_la_2015_2021_lcr.csv")
HIS = _csv("ons_health_index_subdomains_la_2015_2021_lcr.csv")
GP = _csv("gp_patients_per_gp_fte_la_2024_03_lcr_england.csv")
CSS = _csv("crime_severity_score_la_2022_23_lcr.csv")
HOML = _csv("homelessness_la_2023q4_lcr.csv")
RUC = _csv("rural_urban_classification_2011_lsoa11_lcr.csv")

# place the 2011 LSOAs of each file in December 2019 wards, and 2021 LSOAs in May 2024 wards
CRIME = CRIME.merge(W19[["lsoa11cd", "wd19nm"]], on="lsoa11cd", how="left", validate="m:1")
POP_LSOA = POP_LSOA.merge(W19[["lsoa11cd", "wd19nm"]], on="lsoa11cd", how="left", validate="m:1")
DENS = DENS.merge(W19[["lsoa11cd", "wd19nm"]], on="lsoa11cd", how="left", validate="1:1")
C21 = C21.merge(W24[["lsoa21cd", "wd24nm"]], on="lsoa21cd", how="left", validate="1:1")
RUC = RUC.merge(W19[["lsoa11cd", "lad19nm"]], on="lsoa11cd", how="left", validate="1:1")
IOD19_IND = IOD19_IND.merge(
    IOD19[["lsoa11cd", "lad19nm", "wd19nm", "pop_total_mid2015"]], on="lsoa11cd", how="left", validate="1:1"
)
assert CRIME.wd19nm.notna().all() and POP_LSOA.wd19nm.notna().all() and C21.wd24nm.notna().all()

MONTHS = ["2019-09", "2019-10", "2019-11", "2019-12"]
POLICE_LAS = sorted(CRIME.lad19nm.unique())  # Knowsley, Liverpool, Sefton, St. Helens, Wirral
LAS = ["Halton", "Knowsley", "Liverpool", "St. Helens", "Sefton", "Wirral"]
LCR = "Liverpool City Region"
ASB = "Anti-social behaviour"
VSO = "Violence and sexual offences"
assert sorted(CRIME.month.unique()) == MONTHS and "Halton" not in POLICE_LAS and len(POLICE_LAS) == 5


def crimes(lad=None, ward=None, months=None, types=None, excl=()):
    d = CRIME
    if lad is not None:
        d = d[d.lad19nm == lad]
    if ward is not None:
        d = d[d.wd19nm == ward]
    if months is not None:
        d = d[d.month.isin(months)]
    if types is not None:
        d = d[d.crime_type.isin(types)]
    if excl:
        d = d[~d.crime_type.isin(list(excl))]
    return int(d.crimes.sum())


def pop_lsoa(year, lad=None, ward=None, col="pop_total"):
    d = POP_LSOA[POP_LSOA.year == year]
    if lad is not None:
        d = d[d.lad19nm == lad]
    if ward is not None:
        d = d[d.wd19nm == ward]
    return int(d[col].sum())


def pop_la(area, year, col="pop_total"):
    d = POP_LA[(POP_LA.area_name == area) & (POP_LA.year == year)]
    assert len(d) == 1, (area, year)
    return int(d[col].iloc[0])


def c21_la(area, col):
    d = C21_LA[C21_LA.area_name == area]
    assert len(d) == 1, area
    return int(d[col].iloc[0])


def c21(col, lad=None, ward=None):
    d = C21
    if lad is not None:
        d = d[d.lad24nm == lad]
    if ward is not None:
        d = d[d.wd24nm == ward]
    if isinstance(col, (list, tuple)):
        return int(d[list(col)].sum().sum())
    return int(d[col].sum())


def wmean(d, col, weight):
    return float((d[col] * d[weight]).sum() / d[weight].sum())


def la_value(df, name_col, area, col):
    d = df[df[name_col] == area]
    assert len(d) == 1, (area, col)
    return d[col].iloc[0]


def density(lad=None, ward=None):
    d = DENS
    if lad is not None:
        d = d[d.lad19nm == lad]
    if ward is not None:
        d = d[d.wd19nm == ward]
    return float(d.pop_total_mid2018.sum() / d.area_sqkm.sum())


def hi(area, year, col="overall_score", df=None):
    df = HI if df is None else df
    d = df[(df.ltla21_name == area) & (df.year == year)]
    assert len(d) == 1, (area, year)
    return float(d[col].iloc[0])


def ward_scores_25(lad, col="imd_score", weight="pop_total_mid2022"):
    d = IOD25[IOD25.lad24nm == lad]
    return {w: wmean(g, col, weight) for w, g in d.groupby("wd24nm")}


def ward_scores_19(lad, col="imd_score", weight="pop_total_mid2015"):
    d = IOD19[IOD19.lad19nm == lad]
    return {w: wmean(g, col, weight) for w, g in d.groupby("wd19nm")}


def ranked(scores: dict, n: int, highest=True):
    items = sorted(scores.items(), key=lambda kv: (-kv[1] if highest else kv[1], kv[0]))
    vals = [v for _, v in items]
    # a ranking case must not hinge on a tie at the cut-off
    assert n >= len(vals) or vals[n - 1] != vals[n], "tie at ranking cut-off"
    assert len(set(vals[:n])) == n, "tie inside ranking"
    return items[:n]


# --------------------------------------------------------------------------- cases

CASES: list[dict] = []


def num(v, decimals):
    """Store a figure: integers stay integers, other values keep 3 extra decimals."""
    if isinstance(v, (int,)) or (isinstance(v, float) and decimals == 0 and float(v).is_integer()):
        return int(v)
    v = float(v)
    assert math.isfinite(v)
    return round(v, decimals + 3)


def row(place, value=None, decimals=0, category=None, values=None):
    r = {"place": place}
    if category is not None:
        r["category"] = category
    if values is not None:
        vs = [num(v, decimals) for v in values]
        uniq = []
        for v in vs:
            if all(abs(v - u) > 1e-9 for u in uniq):
                uniq.append(v)
        if len(uniq) == 1:
            r["value"] = uniq[0]
        else:
            r["values"] = uniq
    else:
        r["value"] = num(value, decimals)
    r["decimals"] = decimals
    return r


def answered(*rows, top=None):
    e = {"status": "answered", "rows": list(rows)}
    if top is not None:
        e["top"] = list(top)
    return e


DECLINED = {"status": "declined"}
CLARIFY = {"status": "clarify"}


def add(intent, datasets, question, expect, note, conversation=None):
    assert intent in INTENTS, intent
    CASES.append(
        {
            "intent": intent,
            "datasets": list(datasets),
            "question": question,
            "conversation": conversation,
            "expect": dict(expect),
            "note": note,
        }
    )


SC = "street_crime_lsoa11"
G19 = "geo_lsoa11_ward19"
G24 = "geo_lsoa21_ward24"
PL = "population_lsoa11"
PLA = "population_la"
CLA = "census2021_la"
CL = "census2021_lsoa21"
I19 = "iod2019_lsoa11"
I19LA = "iod2019_la"
I19IND = "iod2019_indicators_lsoa11"
I25 = "iod2025_lsoa21"
I25LA = "iod2025_la"
DEN = "population_density_lsoa11"
HIX = "health_index_la"
HISX = "health_index_subdomains_la"
GPX = "gp_workforce_la"
CSSX = "crime_severity_la"
HOMX = "homelessness_la"
RUCX = "rural_urban_lsoa11"

CRIME_NOTE = "police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv, sum of crimes"

TENURE = [
    ("ts054_tenure__owned_owns_outright", "Households that own their home outright"),
    ("ts054_tenure__owned_owns_with_a_mortgage_or_loan", "Households that own their home with a mortgage"),
    ("ts054_tenure__shared_ownership_shared_ownership", "Households in shared ownership"),
    ("ts054_tenure__social_rented_rents_from_council_or_local_authority", "Households renting from the council"),
    (
        "ts054_tenure__social_rented_other_social_rented",
        "Households renting from a housing association or other social landlord",
    ),
    (
        "ts054_tenure__private_rented_private_landlord_or_letting_agency",
        "Households renting from a private landlord or letting agency",
    ),
    (
        "ts054_tenure__private_rented_other_private_rented",
        "Households in other private renting (e.g. from family, friend or employer)",
    ),
    ("ts054_tenure__lives_rent_free", "Households living rent free"),
]
ETHNIC = [
    ("ts021_ethnic_group__asian_asian_british_or_asian_welsh", "Asian, Asian British or Asian Welsh residents"),
    (
        "ts021_ethnic_group__black_black_british_black_welsh_caribbean_or_african",
        "Black, Black British, Black Welsh, Caribbean or African residents",
    ),
    ("ts021_ethnic_group__mixed_or_multiple_ethnic_groups", "Residents of mixed or multiple ethnic groups"),
    ("ts021_ethnic_group__other_ethnic_group", "Residents of other ethnic groups (including Arab)"),
    ("ts021_ethnic_group__white", "White residents"),
]
SOC_COUNCIL = "ts054_tenure__social_rented_rents_from_council_or_local_authority"
SOC_OTHER = "ts054_tenure__social_rented_other_social_rented"
PRIV_ALL = [
    "ts054_tenure__private_rented_private_landlord_or_letting_agency",
    "ts054_tenure__private_rented_other_private_rented",
]


def census_pop_values(area):
    """Council population at Census 2021: TS009 total, and the sum of its LSOAs' age bands."""
    return [c21_la(area, "usual_residents_ts009"), c21("age6__total_usual_residents", lad=area)]


def build():  # noqa: C901 - one long, flat list of cases is the clearest form here
    # ------------------------------------------------------------------ controls
    top3 = ranked(ward_scores_25("Wirral"), 3)
    add(
        "control",
        [I25, G24],
        "top 3 wards in Wirral by IMD score",
        answered(*[row(w, v, 2) for w, v in top3], top=[w for w, _ in top3]),
        "No edition given, so the latest (IoD2025). iod2025_lsoa21_lcr.csv, Wirral LSOAs grouped by wd24nm "
        "(May 2024 best-fit wards), imd_score weighted by pop_total_mid2022, highest first.",
    )
    v = crimes("Sefton", types=[VSO])
    by_type = CRIME[CRIME.lad19nm == "Sefton"].groupby("crime_type").crimes.sum()
    assert by_type.idxmax() == VSO and by_type.max() == v
    add(
        "control",
        [SC],
        "which crime type was most common in Sefton?",
        answered(row("Sefton", v, category=VSO)),
        f"{CRIME_NOTE}, Sefton (lad19nm), Sep-Dec 2019 grouped by crime_type; the largest is {VSO}.",
    )
    n = int(((IOD25.lad24nm == "Knowsley") & (IOD25.imd_decile == 1)).sum())
    add(
        "control",
        [I25],
        "how many neighbourhoods in Knowsley are in the most deprived 10% on the latest IMD",
        answered(row("Knowsley", n)),
        "Latest edition (IoD2025): iod2025_lsoa21_lcr.csv, count of Knowsley LSOAs with "
        "imd_decile == 1 (agrees with File 10 imd_proportion_lsoas_most_deprived_10pct 0.4 x 100 LSOAs).",
    )
    add(
        "control",
        [PLA, PL],
        "how has the population of Halton changed",
        answered(row("Halton", pop_la("Halton", 2019)), row("Halton", pop_la("Halton", 2020))),
        "Trend of mid-year estimates: population_la pop_total for Halton, 2019 and 2020 (equal to the LSOA sums; "
        "the LSOA file also has 2017 and 2018, which may be shown too).",
    )
    sef = CRIME[CRIME.lad19nm == "Sefton"].groupby("crime_type").crimes.sum().sort_index()
    add(
        "control",
        [SC],
        "crime in Sefton by type",
        answered(*[row("Sefton", int(x), category=t) for t, x in sef.items()]),
        f"{CRIME_NOTE}, Sefton, Sep-Dec 2019, grouped by crime_type (all 14 types).",
    )
    add(
        "control",
        [PLA],
        "population by age in Sefton in 2019",
        answered(
            row("Sefton", pop_la("Sefton", 2019, "pop_0_15"), category="Children aged 0-15"),
            row("Sefton", pop_la("Sefton", 2019, "pop_16_64"), category="Working-age residents aged 16-64"),
            row("Sefton", pop_la("Sefton", 2019, "pop_65plus"), category="Older residents aged 65 and over"),
        ),
        "population_la_mid2019_2020_lcr_england.csv, Sefton 2019, pop_0_15 / pop_16_64 / pop_65plus "
        "(categories are the datasheet labels).",
    )
    add(
        "control",
        [CL],
        "ethnic groups in liverpool",
        answered(*[row("Liverpool", c21(col, lad="Liverpool"), category=lab) for col, lab in ETHNIC]),
        "census2021_lsoa21_lcr.csv, sum over Liverpool LSOAs (lad24nm) of each ts021_ethnic_group__ category "
        "(categories are the datasheet labels).",
    )
    add(
        "control",
        [CLA, CL],
        "compare knowsley and sefton population at the census",
        answered(
            row("Knowsley", values=census_pop_values("Knowsley")),
            row("Sefton", values=census_pop_values("Sefton")),
        ),
        "Census 2021: usual_residents_ts009 in census2021_population_age6 "
        "or the sum of age6__total_usual_residents over the council's LSOAs (both published).",
    )
    add(
        "control",
        [CSSX],
        "which council has the highest crime severity",
        answered(
            *[row(a, la_value(CSS, "ltla23_name", a, "crime_severity_score"), 2) for a in LAS],
            top=[CSS.sort_values("crime_severity_score", ascending=False).ltla23_name.iloc[0]],
        ),
        "crime_severity_score_la_2022_23_lcr.csv, crime_severity_score, highest first (Liverpool).",
    )
    ee = IOD25[IOD25.wd24nm == "Everton East"]
    add(
        "control",
        [I25, G24],
        "imd score for everton east",
        answered(row("Everton East", wmean(ee, "imd_score", "pop_total_mid2022"), 2)),
        "Everton East is a May 2024 Liverpool ward: iod2025_lsoa21_lcr.csv LSOAs with wd24nm == 'Everton East', "
        "imd_score weighted by pop_total_mid2022.",
    )
    add(
        "control",
        [PL, G19],
        "populaton of everton ward in 2019",
        answered(row("Everton", pop_lsoa(2019, ward="Everton"))),
        "population_lsoa11_mid2017_2020_lcr.csv, year 2019, pop_total summed over LSOAs in the December 2019 "
        "ward 'Everton' (lookup_lsoa11_ward19).",
    )
    add(
        "control",
        [HIX],
        "health index trend for liverpool",
        answered(*[row("Liverpool", hi("Liverpool", y), 1) for y in range(2015, 2022)]),
        "ons_health_index_la_2015_2021_lcr.csv, Liverpool overall_score, 2015 to 2021.",
    )
    add(
        "control",
        [SC],
        "hiya, total recorded crime in liverpol for sept-dec 2019?",
        answered(row("Liverpool", crimes("Liverpool"))),
        f"{CRIME_NOTE}, Liverpool, all four months and all 14 types (anti-social behaviour included).",
    )
    add(
        "control",
        [HOMX],
        "whats the homelessness rate in halton",
        answered(row("Halton", la_value(HOML, "ltla23_name", "Halton", "households_assessed_homeless_per_1000"), 2)),
        "homelessness_la_2023q4_lcr.csv, Halton households_assessed_homeless_per_1000 (Oct-Dec 2023).",
    )
    ta = HOML.sort_values("households_in_temporary_accommodation_per_1000", ascending=False)
    add(
        "control",
        [HOMX],
        "Which council has the most households in temporary accommodation, per 1,000 households?",
        answered(
            *[row(r.ltla23_name, r.households_in_temporary_accommodation_per_1000, 2) for r in ta.itertuples()],
            top=[ta.ltla23_name.iloc[0]],
        ),
        "homelessness_la_2023q4_lcr.csv, households_in_temporary_accommodation_per_1000, highest first.",
    )
    add(
        "control",
        [CL],
        "how many households are there in the whole city region? census figures",
        answered(row(LCR, c21("ts054_tenure__total"))),
        "census2021_lsoa21_lcr.csv, sum of ts054_tenure__total over all 1,003 LSOAs (the datasheet's headline "
        "household count).",
    )
    add(
        "control",
        [I19LA],
        "Where did Liverpool rank among English councils on IMD 2019 average score?",
        answered(row("Liverpool", int(la_value(IOD19_LA, "lad19nm", "Liverpool", "imd_rank_of_average_score")))),
        "iod2019_la_summaries_lcr.csv, Liverpool imd_rank_of_average_score (1 = most deprived of 317).",
    )
    n = int((RUC.urban_rural == "Rural").sum())
    add(
        "control",
        [RUCX],
        "how many of the city region's LSOAs are classed as rural?",
        answered(row(LCR, n)),
        "rural_urban_classification_2011_lsoa11_lcr.csv, count of rows with urban_rural == 'Rural'.",
    )
    add(
        "control",
        [DEN],
        "how big is the Wirral in square km",
        answered(row("Wirral", float(DENS[DENS.lad19nm == "Wirral"].area_sqkm.sum()), 1)),
        "population_density_lsoa11_mid2018_lcr.csv, sum of area_sqkm over Wirral LSOAs.",
    )
    add(
        "control",
        [HISX],
        "Health Index mental health score for Wirral in 2021",
        answered(row("Wirral", hi("Wirral", 2021, "mental_health", HIS), 1)),
        "ons_health_index_subdomains_la_2015_2021_lcr.csv, Wirral 2021, mental_health.",
    )
    add(
        "control",
        [GPX],
        "how many patients are registered with GP practices in Liverpool?",
        answered(row("Liverpool", int(la_value(GP, "ltla24_name", "Liverpool", "total_patients")))),
        "gp_patients_per_gp_fte_la_2024_03_lcr_england.csv, Liverpool total_patients (March 2024).",
    )
    top5 = ranked(ward_scores_25("Liverpool"), 5)
    add(
        "control",
        [I25, G24],
        "top 5 most deprived wards in liverpool",
        answered(*[row(w, v, 2) for w, v in top5], top=[w for w, _ in top5]),
        "Latest edition (IoD2025): iod2025_lsoa21_lcr.csv, Liverpool LSOAs grouped by wd24nm, imd_score "
        "weighted by pop_total_mid2022, highest score first.",
    )
    sth = CRIME[CRIME.lad19nm == "St. Helens"].groupby("month").crimes.sum().sort_index()
    add(
        "control",
        [SC],
        "break down st helens crime by month",
        answered(*[row("St. Helens", int(x)) for x in sth.values]),
        f"{CRIME_NOTE}, St. Helens grouped by month (2019-09 to 2019-12), all types.",
    )
    add(
        "control",
        [PLA, PL],
        "What was Knowsley's population in 2020?",
        answered(row("Knowsley", values=[pop_la("Knowsley", 2020), pop_lsoa(2020, lad="Knowsley")])),
        "population_la pop_total Knowsley 2020 (equals the LSOA sum).",
    )
    hal = IOD19_IND[IOD19_IND.lad19nm == "Halton"]
    add(
        "control",
        [I19IND],
        "average road distance to a GP surgery in Halton?",
        answered(row("Halton", wmean(hal, "road_distance_to_a_gp_surgery_indicator_km", "pop_total_mid2015"), 2)),
        "iod2019_underlying_indicators_lsoa11_lcr.csv, road_distance_to_a_gp_surgery_indicator_km over Halton "
        "LSOAs weighted by pop_total_mid2015 (from iod2019_lsoa11).",
    )
    liv25 = IOD25[IOD25.lad24nm == "Liverpool"].sort_values("imd_score", ascending=False)
    assert liv25.imd_score.iloc[0] != liv25.imd_score.iloc[1]
    add(
        "control",
        [I25],
        "what's the single most deprived small area (LSOA) in Liverpool on the 2025 index?",
        answered(row(liv25.lsoa21nm.iloc[0], liv25.imd_score.iloc[0], 2), top=[liv25.lsoa21nm.iloc[0]]),
        "iod2025_lsoa21_lcr.csv, Liverpool LSOA with the highest imd_score (lowest imd_rank).",
    )
    assert liv25.imd_rank.iloc[0] == IOD25[IOD25.lad24nm == "Liverpool"].imd_rank.min()
    add(
        "control",
        [I25LA, I25],
        "IMD 2025 average score for Halton",
        answered(
            row(
                "Halton",
                values=[
                    la_value(IOD25_LA, "lad24nm", "Halton", "imd_average_score"),
                    wmean(IOD25[IOD25.lad24nm == "Halton"], "imd_score", "pop_total_mid2022"),
                ],
                decimals=2,
            )
        ),
        "iod2025_la_summary_imd_lcr.csv imd_average_score (the LSOA pop-weighted mean reproduces it).",
    )
    add(
        "control",
        [PLA],
        "population of the city region in mid-2019",
        answered(row(LCR, values=[sum(pop_la(a, 2019) for a in LAS), pop_lsoa(2019)])),
        "Sum of the six councils' pop_total (population_la, 2019) = sum of all 989 LSOAs (1,559,320).",
    )
    add(
        "control",
        [CLA],
        "england population census 2021",
        answered(row("England", c21_la("England (sum of LAs)", "usual_residents_ts009"))),
        "census2021_population_age6_la_lcr_england.csv, England (sum of LAs) usual_residents_ts009.",
    )

    # ------------------------------------------------------------------ exclusions
    v = crimes("Wirral", excl=[ASB])
    add(
        "exclusion",
        [SC],
        "crime in Wirral other than anti-social behaviour",
        answered(row("Wirral", v)),
        f"{CRIME_NOTE}, Wirral, Sep-Dec 2019, all crime types except '{ASB}'.",
    )
    add(
        "exclusion",
        [SC],
        "how many crimes were recorded in Knowsley Sept-Dec 2019 if you take out violence and sexual offences?",
        answered(row("Knowsley", crimes("Knowsley", excl=[VSO]))),
        f"{CRIME_NOTE}, Knowsley, all types except '{VSO}' (anti-social behaviour stays in).",
    )
    n = int(((IOD25.lad24nm == "Knowsley") & (IOD25.imd_decile != 1)).sum())
    add(
        "exclusion",
        [I25],
        "I'm writing a funding bid for a food bank in Kirkby and need to show how concentrated deprivation is. "
        "How many of Knowsley's neighbourhoods (LSOAs) are NOT in England's most deprived 10% on the 2025 index?",
        answered(row("Knowsley", n)),
        "iod2025_lsoa21_lcr.csv, count of Knowsley LSOAs with imd_decile != 1 (100 LSOAs minus 40 in decile 1).",
    )
    n = int(((IOD19.lad19nm == "Sefton") & (IOD19.imd_decile >= 3)).sum())
    add(
        "exclusion",
        [I19],
        "how many sefton neighbourhoods sit outside the most deprived 20% nationally (IoD2019)?",
        answered(row("Sefton", n)),
        "iod2019_lsoa11_lcr.csv, count of Sefton LSOAs with imd_decile >= 3 (not in deciles 1 or 2).",
    )
    n = int(((IOD25.lad24nm == "Liverpool") & (IOD25.imd_decile >= 3)).sum())
    add(
        "exclusion",
        [I25],
        "Liverpool LSOAs that are outside the most deprived fifth of England on IMD 2025 - how many?",
        answered(row("Liverpool", n)),
        "iod2025_lsoa21_lcr.csv, count of Liverpool LSOAs with imd_decile >= 3.",
    )
    v = crimes("Liverpool") - crimes("Liverpool", ward="Central")
    add(
        "exclusion",
        [SC, G19],
        "Total crime in Liverpool Sep-Dec 2019 but leaving out the city centre (Central ward), because the "
        "daytime crowds skew it",
        answered(row("Liverpool", v)),
        f"{CRIME_NOTE}: Liverpool total minus the LSOAs in December 2019 ward 'Central' (lookup_lsoa11_ward19).",
    )
    add(
        "exclusion",
        [SC],
        "seftn crime minus shoplifting and bike theft?",
        answered(row("Sefton", crimes("Sefton", excl=["Shoplifting", "Bicycle theft"]))),
        f"{CRIME_NOTE}, Sefton, Sep-Dec 2019, all types except Shoplifting and Bicycle theft.",
    )
    add(
        "exclusion",
        [SC],
        "St Helens, October 2019 only, not counting anti social behaviour - how many crimes?",
        answered(row("St. Helens", crimes("St. Helens", months=["2019-10"], excl=[ASB]))),
        f"{CRIME_NOTE}, St. Helens, month 2019-10, all types except '{ASB}'.",
    )
    add(
        "exclusion",
        [SC],
        "across Merseyside, how many actual crimes were recorded Sep-Dec 2019, i.e. leaving out ASB?",
        answered(row(LCR, crimes(excl=[ASB]))),
        f"{CRIME_NOTE}, all five police-covered councils (Halton is not in the police data), all types except "
        f"'{ASB}'. 'Merseyside' is the city region in the commons.",
    )
    v = c21("ts021_ethnic_group__total", lad="Knowsley") - c21("ts021_ethnic_group__white", lad="Knowsley")
    add(
        "exclusion",
        [CL],
        "how many people in Knowsley are from an ethnic group other than White? (census)",
        answered(row("Knowsley", v)),
        "census2021_lsoa21_lcr.csv, Knowsley: ts021_ethnic_group__total minus ts021_ethnic_group__white "
        "(= Asian + Black + Mixed + Other).",
    )
    add(
        "exclusion",
        [CL],
        "Halton residents excluding anyone disabled under the Equality Act - how many?",
        answered(row("Halton", c21("ts038_disability__not_disabled_under_the_equality_act", lad="Halton"))),
        "census2021_lsoa21_lcr.csv, Halton, sum of ts038_disability__not_disabled_under_the_equality_act "
        "(= disability table total minus disabled).",
    )
    v = c21("ts054_tenure__total", lad="Liverpool") - c21(PRIV_ALL, lad="Liverpool")
    add(
        "exclusion",
        [CL],
        "doing a housing strategy consultation response - how many Liverpool households are NOT private renters?",
        answered(row("Liverpool", v)),
        "census2021_lsoa21_lcr.csv, Liverpool: ts054_tenure__total minus (private landlord or letting agency + "
        "other private rented).",
    )
    add(
        "exclusion",
        [PLA],
        "Wirral population mid-2020 not counting the over 65s",
        answered(row("Wirral", pop_la("Wirral", 2020) - pop_la("Wirral", 2020, "pop_65plus"))),
        "population_la, Wirral 2020: pop_total minus pop_65plus (= pop_0_15 + pop_16_64).",
    )
    over16_lsoa = sum(
        c21(f"age6__aged_{b}", lad="Liverpool")
        for b in ("16_to_24_years", "25_to_34_years", "35_to_49_years", "50_to_64_years", "65_years_and_over")
    )
    add(
        "exclusion",
        [CLA, CL],
        "liverpool census 2021 population leaving out children under 16",
        answered(
            row(
                "Liverpool",
                values=[
                    c21_la("Liverpool", "usual_residents_ts009") - c21_la("Liverpool", "lsoa_sum_age_0_15"),
                    over16_lsoa,
                ],
            )
        ),
        "Either TS009 total minus lsoa_sum_age_0_15 (census2021_population_age6) or the sum of the five "
        "16+ age bands over Liverpool LSOAs (census2021_lsoa21).",
    )
    rk = {a: crimes(a, excl=[VSO]) for a in POLICE_LAS}
    order = sorted(rk, key=lambda a: -rk[a])
    add(
        "exclusion",
        [SC],
        "leaving violence and sexual offences out of it, rank the councils by recorded crime Sep-Dec 2019",
        answered(*[row(a, rk[a]) for a in order], top=order),
        f"{CRIME_NOTE}, per council (lad19nm), all types except '{VSO}', highest first. Halton is not in the "
        "police data.",
    )
    add(
        "exclusion",
        [SC, G19],
        "Wirral crime Sep-Dec 2019 excluding Birkenhead and Tranmere ward",
        answered(row("Wirral", crimes("Wirral") - crimes("Wirral", ward="Birkenhead and Tranmere"))),
        f"{CRIME_NOTE}: Wirral total minus LSOAs in December 2019 ward 'Birkenhead and Tranmere'.",
    )
    n = int(((RUC.lad19nm == "St. Helens") & (RUC.urban_rural != "Urban")).sum())
    add(
        "exclusion",
        [RUCX, G19],
        "how many LSOAs in St Helens are not urban?",
        answered(row("St. Helens", n)),
        "rural_urban_classification_2011_lsoa11_lcr.csv joined to lookup_lsoa11_ward19 for the council; count of "
        "St. Helens LSOAs with urban_rural != 'Urban'.",
    )
    over = ["ts052_bedroom_occupancy__minus1_overcrowded", "ts052_bedroom_occupancy__minus2_or_less_overcrowded"]
    v = c21("ts052_bedroom_occupancy__total", lad="Sefton") - c21(over, lad="Sefton")
    add(
        "exclusion",
        [CL],
        "households in Sefton that are not overcrowded (bedroom standard)",
        answered(row("Sefton", v)),
        "census2021_lsoa21_lcr.csv, Sefton: ts052_bedroom_occupancy__total minus (-1 overcrowded + -2 or less "
        "overcrowded) = +2, +1 and 0 ratings.",
    )
    add(
        "exclusion",
        [SC],
        "Sefton crime Sept-Nov 2019, no ASB, and ignore December",
        answered(row("Sefton", crimes("Sefton", months=MONTHS[:3], excl=[ASB]))),
        f"{CRIME_NOTE}, Sefton, months 2019-09 to 2019-11, all types except '{ASB}'.",
    )
    add(
        "exclusion",
        [SC],
        "knowsley, Q4 2019, everything except drugs offences",
        answered(row("Knowsley", crimes("Knowsley", months=MONTHS[1:], excl=["Drugs"]))),
        f"{CRIME_NOTE}, Knowsley, months 2019-10 to 2019-12 (Q4), all types except Drugs.",
    )
    add(
        "exclusion",
        [CL],
        "How many households in Wirral aren't deprived on any of the census deprivation dimensions?",
        answered(row("Wirral", c21("ts011_hh_deprivation__household_is_not_deprived_in_any_dimension", lad="Wirral"))),
        "census2021_lsoa21_lcr.csv, Wirral, sum of ts011_hh_deprivation__household_is_not_deprived_in_any_dimension.",
    )
    d = CRIME[(CRIME.lad19nm == "Wirral") & (CRIME.crime_type != ASB)].groupby("wd19nm").crimes.sum()
    t3 = ranked({k: int(x) for k, x in d.items()}, 3)
    add(
        "exclusion",
        [SC, G19],
        "which 3 Wirral wards had the most crime Sep-Dec 2019 once you strip out anti-social behaviour?",
        answered(*[row(w, x) for w, x in t3], top=[w for w, _ in t3]),
        f"{CRIME_NOTE}, Wirral LSOAs grouped by December 2019 ward, all types except '{ASB}', highest first.",
    )
    v = c21("ts054_tenure__total", lad="St. Helens") - c21(SOC_COUNCIL, lad="St. Helens") - c21(SOC_OTHER, lad="St. Helens")
    add(
        "exclusion",
        [CL],
        "st helens households excluding social housing (council and housing association)?",
        answered(row("St. Helens", v)),
        "census2021_lsoa21_lcr.csv, St. Helens: ts054_tenure__total minus both social rented categories.",
    )
    v = crimes("Liverpool", excl=[ASB, VSO])
    add(
        "exclusion",
        [SC],
        "I'm a journalist. For Liverpool, Sep-Dec 2019, what's the total once you exclude both anti-social "
        "behaviour and violence and sexual offences?",
        answered(row("Liverpool", v)),
        f"{CRIME_NOTE}, Liverpool, all types except '{ASB}' and '{VSO}'.",
    )

    # ------------------------------------------------------------------ periods
    add(
        "period",
        [SC],
        "Councillor here, prepping for a ward surgery - how many crimes in Knowsley from September to November 2019?",
        answered(row("Knowsley", crimes("Knowsley", months=MONTHS[:3]))),
        f"{CRIME_NOTE}, Knowsley, months 2019-09, 2019-10 and 2019-11 summed, all types.",
    )
    add(
        "period",
        [SC],
        "burglaries in liverpool in autumn 2019",
        answered(row("Liverpool", crimes("Liverpool", months=MONTHS[:3], types=["Burglary"]), category="Burglary")),
        f"{CRIME_NOTE}, Liverpool, Burglary, autumn = Sep-Nov 2019 (2019-09..2019-11).",
    )
    add(
        "period",
        [SC],
        "Sefton crime in Q4 2019",
        answered(row("Sefton", crimes("Sefton", months=MONTHS[1:]))),
        f"{CRIME_NOTE}, Sefton, Q4 = Oct-Dec 2019, all types.",
    )
    add(
        "period",
        [SC],
        "The police data runs Sep-Dec 2019 right? How many crimes in Wirral after October then?",
        answered(row("Wirral", crimes("Wirral", months=MONTHS[2:]))),
        f"{CRIME_NOTE}, Wirral, after October = November and December 2019, all types.",
    )
    add(
        "period",
        [SC],
        "ASB in St Hellens in the last two months of 2019?",
        answered(row("St. Helens", crimes("St. Helens", months=MONTHS[2:], types=[ASB]), category=ASB)),
        f"{CRIME_NOTE}, St. Helens, {ASB}, 2019-11 and 2019-12.",
    )
    add(
        "period",
        [SC],
        "vehicle crime in Liverpool since October 2019 - I know your police data stops at December 2019, so up "
        "to then is fine",
        answered(row("Liverpool", crimes("Liverpool", months=MONTHS[1:], types=["Vehicle crime"]), category="Vehicle crime")),
        f"{CRIME_NOTE}, Liverpool, Vehicle crime, 2019-10 to 2019-12.",
    )
    add(
        "period",
        [SC],
        "In the police figures you hold, how much ASB was there in Knowsley before November 2019?",
        answered(row("Knowsley", crimes("Knowsley", months=MONTHS[:2], types=[ASB]), category=ASB)),
        f"{CRIME_NOTE}, Knowsley, {ASB}, the held months before November: 2019-09 and 2019-10.",
    )
    add(
        "period",
        [SC],
        "total crimes in St Helens for the whole of 2019 (January to December)?",
        DECLINED,
        "The police data holds only September to December 2019; a full-year 2019 figure is not held, and the "
        "Sep-Dec total would answer a different period.",
    )
    add(
        "period",
        [SC],
        "crime figures for knowsley in 2020 please",
        DECLINED,
        "Police street crime covers September to December 2019 only; 2020 is not held.",
    )
    add(
        "period",
        [SC],
        "gis the number of crimes in liverpool last year",
        DECLINED,
        "Asked in 2026, 'last year' is 2025; the police data covers only Sep-Dec 2019.",
    )
    add(
        "period",
        [SC],
        "what was crime like in Sefton last month",
        DECLINED,
        "Asked in 2026, last month is in 2026; the police data covers only Sep-Dec 2019.",
    )
    add(
        "period",
        [SC],
        "Liverpool crimes in Q3 2019",
        DECLINED,
        "Q3 2019 is July-September; only September is held, so the quarter cannot be given (Sep alone would be "
        "a different period).",
    )
    add(
        "period",
        [SC],
        "wirral crime in august 2019?",
        DECLINED,
        "Police street crime starts in September 2019; August 2019 is not held.",
    )
    add(
        "period",
        [HIX],
        "what was Knowsley's Health Index score five years ago?",
        answered(row("Knowsley", hi("Knowsley", 2021), 1)),
        "Asked in 2026, five years ago is 2021: ons_health_index_la_2015_2021_lcr.csv, Knowsley 2021 overall_score.",
    )
    add(
        "period",
        [PLA, PL],
        "population of Liverpool six years ago",
        answered(row("Liverpool", values=[pop_la("Liverpool", 2020), pop_lsoa(2020, lad="Liverpool")])),
        "Asked in 2026, six years ago is 2020: population_la Liverpool mid-2020 pop_total (= LSOA sum).",
    )
    add(
        "period",
        [PLA],
        "what was the population of wirral last year",
        DECLINED,
        "Asked in 2026, last year is 2025; the commons holds mid-2017 to mid-2020 estimates and Census 2021 only.",
    )
    add(
        "period",
        [PLA, PL],
        "mid-2019 population estimate for St Helens?",
        answered(row("St. Helens", values=[pop_la("St. Helens", 2019), pop_lsoa(2019, lad="St. Helens")])),
        "population_la St. Helens 2019 pop_total (equals the sum of its LSOAs in population_lsoa11).",
    )
    add(
        "period",
        [PL, DEN],
        "Wirral's population in mid-2018",
        answered(
            row(
                "Wirral",
                values=[pop_lsoa(2018, lad="Wirral"), int(DENS[DENS.lad19nm == "Wirral"].pop_total_mid2018.sum())],
            )
        ),
        "No council file for 2018: sum of population_lsoa11 pop_total for Wirral LSOAs, year 2018 (same as "
        "pop_total_mid2018 in the density file).",
    )
    add(
        "period",
        [PL],
        "how many over 65s lived in Sefton in mid-2018?",
        DECLINED,
        "Mid-2018 comes from a totals-only release: the 2018 age bands are empty (datasheet caveat); 2019 or "
        "2020 would be a different period.",
    )
    add(
        "period",
        [CSSX],
        "Halton crime severity score for 2022/23",
        answered(row("Halton", la_value(CSS, "ltla23_name", "Halton", "crime_severity_score"), 2)),
        "crime_severity_score_la_2022_23_lcr.csv, Halton (April 2022 to March 2023 = financial year 2022/23).",
    )
    add(
        "period",
        [CSSX],
        "crime severity score for Liverpool in 2019/20?",
        DECLINED,
        "Only April 2022 to March 2023 is held; 2019/20 is not.",
    )
    add(
        "period",
        [HOMX],
        "knowsley homelessness rate Q4 2023",
        answered(row("Knowsley", la_value(HOML, "ltla23_name", "Knowsley", "households_assessed_homeless_per_1000"), 2)),
        "homelessness_la_2023q4_lcr.csv, Knowsley households_assessed_homeless_per_1000 (Q4 2023 = Oct-Dec 2023).",
    )
    add(
        "period",
        [HOMX],
        "households in temporary accommodation in Liverpool over the 2023/24 financial year",
        DECLINED,
        "Only one quarter (October-December 2023) is held; a 2023/24 financial-year figure is not, and the "
        "quarter's rate answers a different period.",
    )
    add(
        "period",
        [HOMX],
        "sefton homelessness figures for summer 2023",
        DECLINED,
        "Summer 2023 (June-August) is not held; only October-December 2023.",
    )
    add(
        "period",
        [HIX],
        "health index for liverpool between 2017 and 2019",
        answered(*[row("Liverpool", hi("Liverpool", y), 1) for y in (2017, 2018, 2019)]),
        "ons_health_index_la_2015_2021_lcr.csv, Liverpool overall_score for 2017, 2018 and 2019.",
    )
    add(
        "period",
        [PL, PLA],
        "St Helens population for each year from 2017 to 2019",
        answered(
            row("St. Helens", pop_lsoa(2017, lad="St. Helens")),
            row("St. Helens", pop_lsoa(2018, lad="St. Helens")),
            row("St. Helens", values=[pop_la("St. Helens", 2019), pop_lsoa(2019, lad="St. Helens")]),
        ),
        "population_lsoa11 pop_total summed over St. Helens LSOAs for 2017, 2018 and 2019 (2019 equals the "
        "council file).",
    )
    add(
        "period",
        [HIX],
        "Halton health index 2022",
        DECLINED,
        "The Health Index is held for 2015 to 2021 only.",
    )
    add(
        "period",
        [GPX],
        "How many full-time GPs did Knowsley have in 2019?",
        DECLINED,
        "GP workforce is held for March 2024 only.",
    )
    add(
        "period",
        [I19LA, I25LA],
        "what was Halton's IMD score in the 2015 indices of deprivation?",
        DECLINED,
        "The commons holds IoD2019 and IoD2025, not IoD2015.",
    )
    add(
        "period",
        [SC, G19],
        "crime in Everton ward in December 2019",
        answered(row("Everton", crimes("Liverpool", ward="Everton", months=["2019-12"]))),
        f"{CRIME_NOTE}, LSOAs in December 2019 ward 'Everton' (Liverpool), month 2019-12, all types.",
    )
    add(
        "period",
        [SC],
        "shoplifting in sefton in the run-up to christmas 2019 (november and december)",
        answered(row("Sefton", crimes("Sefton", months=MONTHS[2:], types=["Shoplifting"]), category="Shoplifting")),
        f"{CRIME_NOTE}, Sefton, Shoplifting, 2019-11 and 2019-12.",
    )
    add(
        "period",
        [SC],
        "violence and sexual offences in Sefton, October 2019",
        answered(row("Sefton", crimes("Sefton", months=["2019-10"], types=[VSO]), category=VSO)),
        f"{CRIME_NOTE}, Sefton, {VSO}, 2019-10.",
    )
    add(
        "period",
        [PLA],
        "what's the population of halton in 2022?",
        DECLINED,
        "Population estimates are held for mid-2017 to mid-2020 and Census 2021; 2022 is not held (the IoD2025 "
        "mid-2022 denominators are weights, not population estimates, per the datasheet).",
    )

    # ------------------------------------------------------------------ sub-populations
    add(
        "subgroup",
        [PLA],
        "how many kids under 16 in knowsely as of mid-2020?",
        answered(row("Knowsley", pop_la("Knowsley", 2020, "pop_0_15"))),
        "population_la, Knowsley 2020, pop_0_15.",
    )
    add(
        "subgroup",
        [CLA],
        "number of women living in St Helens at the 2021 census",
        answered(row("St. Helens", c21_la("St. Helens", "females_ts009"))),
        "census2021_population_age6_la_lcr_england.csv, St. Helens females_ts009.",
    )
    add(
        "subgroup",
        [CL],
        "I run a tenants' group - how many households in Liverpool live in purpose-built flats or tenements?",
        answered(row("Liverpool", c21("ts044_accommodation__in_a_purpose_built_block_of_flats_or_tenement", lad="Liverpool"))),
        "census2021_lsoa21_lcr.csv, Liverpool, sum of ts044_accommodation__in_a_purpose_built_block_of_flats_or_tenement.",
    )
    add(
        "subgroup",
        [SC],
        "how many of the crimes in Liverpool in late 2019 were actually solved?",
        DECLINED,
        "The commons holds recorded street crime counts only, no outcomes; an all-crime count would answer a "
        "different question.",
    )
    add(
        "subgroup",
        [CLA, CL],
        "over 65s in Wirral (census 2021)",
        answered(row("Wirral", values=[c21_la("Wirral", "lsoa_sum_age_65plus"), c21("age6__aged_65_years_and_over", lad="Wirral")])),
        "census2021_population_age6 lsoa_sum_age_65plus for Wirral (= sum of age6__aged_65_years_and_over over "
        "Wirral LSOAs).",
    )
    add(
        "subgroup",
        [CL],
        "St Helens - how many households are renting from the council?",
        answered(row("St. Helens", c21(SOC_COUNCIL, lad="St. Helens"))),
        f"census2021_lsoa21_lcr.csv, St. Helens, sum of {SOC_COUNCIL}.",
    )
    add(
        "subgroup",
        [PLA, CLA],
        "Youth worker here: how many under-18s live in Halton?",
        DECLINED,
        "No held age band splits at 18 (bands are 0-15, 16-64 / 16-24, ...); an under-16 figure would answer a "
        "different question.",
    )
    add(
        "subgroup",
        [CLA],
        "how many women over 65 are there in Sefton?",
        DECLINED,
        "Census 2021 council data has sex and age bands separately, not sex by age.",
    )
    add(
        "subgroup",
        [SC],
        "How many violent crimes against women were recorded in Liverpool in autumn 2019?",
        DECLINED,
        "Street crime data has no victim characteristics; the all-victim count is a different question.",
    )
    add(
        "subgroup",
        [SC],
        "how many crimes in Knowsley were committed by under 18s?",
        DECLINED,
        "Street crime data has no offender information.",
    )
    add(
        "subgroup",
        [I19IND],
        "For our children's charity: how many children in Knowsley live in income-deprived families (IoD2019 "
        "count)?",
        answered(row("Knowsley", float(IOD19_IND[IOD19_IND.lad19nm == "Knowsley"].income_deprivation_affecting_children_index_idaci_numerator.sum()))),
        "iod2019_underlying_indicators_lsoa11_lcr.csv, sum of income_deprivation_affecting_children_index_idaci_"
        "numerator over Knowsley LSOAs (rounded to 5s; blanks skipped).",
    )
    add(
        "subgroup",
        [I19LA],
        "income deprivation among older people in Sefton, 2019 index - what's the rate?",
        answered(row("Sefton", 100 * la_value(IOD19_LA, "lad19nm", "Sefton", "idaopi_average_score"), 1)),
        "iod2019_la_summaries_lcr.csv, Sefton idaopi_average_score x 100 (IDAOPI rate, percent).",
    )
    add(
        "subgroup",
        [CL],
        "disabled people in wirrall",
        answered(row("Wirral", c21("ts038_disability__disabled_under_the_equality_act", lad="Wirral"))),
        "census2021_lsoa21_lcr.csv, Wirral, sum of ts038_disability__disabled_under_the_equality_act.",
    )
    add(
        "subgroup",
        [CL],
        "how many Black residents are there in Liverpool",
        answered(row("Liverpool", c21("ts021_ethnic_group__black_black_british_black_welsh_caribbean_or_african", lad="Liverpool"))),
        "census2021_lsoa21_lcr.csv, Liverpool, sum of ts021_ethnic_group__black_black_british_black_welsh_caribbean_or_african.",
    )
    add(
        "subgroup",
        [PLA, PL],
        "working age population of Halton, mid 2019",
        answered(row("Halton", values=[pop_la("Halton", 2019, "pop_16_64"), pop_lsoa(2019, lad="Halton", col="pop_16_64")])),
        "population_la, Halton 2019, pop_16_64 (= LSOA sum).",
    )
    add(
        "subgroup",
        [CLA, CL],
        "16-24 year olds in Liverpool at the census?",
        answered(row("Liverpool", values=[c21_la("Liverpool", "lsoa_sum_age_16_24"), c21("age6__aged_16_to_24_years", lad="Liverpool")])),
        "census2021_population_age6 lsoa_sum_age_16_24 for Liverpool (= LSOA sum).",
    )
    add(
        "subgroup",
        [CLA],
        "how many fellas in knowsley (census)?",
        answered(row("Knowsley", c21_la("Knowsley", "males_ts009"))),
        "census2021_population_age6_la_lcr_england.csv, Knowsley males_ts009 (Census 2021).",
    )
    add(
        "subgroup",
        [CL],
        "knowsley households renting from a housing association",
        answered(row("Knowsley", c21(SOC_OTHER, lad="Knowsley"))),
        f"census2021_lsoa21_lcr.csv, Knowsley, sum of {SOC_OTHER}.",
    )
    add(
        "subgroup",
        [CL],
        "How many Sefton households own with a mortgage?",
        answered(row("Sefton", c21("ts054_tenure__owned_owns_with_a_mortgage_or_loan", lad="Sefton"))),
        "census2021_lsoa21_lcr.csv, Sefton, sum of ts054_tenure__owned_owns_with_a_mortgage_or_loan.",
    )
    add(
        "subgroup",
        [CLA, PLA],
        "how many over 75s live on the Wirral?",
        DECLINED,
        "The oldest held band is 65 and over; there is no 75+ band, and the 65+ count is a different group.",
    )
    add(
        "subgroup",
        [SC],
        "how much anti-social behaviour in Liverpool happened at night?",
        DECLINED,
        "Street crime data has month and type only, no time of day.",
    )
    add(
        "subgroup",
        [CL],
        "households living in caravans or mobile homes in St Helens?",
        answered(row("St. Helens", c21("ts044_accommodation__a_caravan_or_other_mobile_or_temporary_structure", lad="St. Helens"))),
        "census2021_lsoa21_lcr.csv, St. Helens, sum of ts044_accommodation__a_caravan_or_other_mobile_or_temporary_structure.",
    )
    add(
        "subgroup",
        [GPX],
        "how many female GPs are there in Wirral?",
        DECLINED,
        "GP workforce is held as total FTE only, with no split by sex.",
    )
    add(
        "subgroup",
        [CL],
        "severely overcrowded households in Liverpool (2+ bedrooms short)",
        answered(row("Liverpool", c21("ts052_bedroom_occupancy__minus2_or_less_overcrowded", lad="Liverpool"))),
        "census2021_lsoa21_lcr.csv, Liverpool, sum of ts052_bedroom_occupancy__minus2_or_less_overcrowded.",
    )
    kn = IOD25[IOD25.lad24nm == "Knowsley"]
    add(
        "subgroup",
        [I25],
        "employment deprivation rate among working-age people in Knowsley, IoD2025",
        answered(row("Knowsley", 100 * wmean(kn, "employment_score_rate", "pop_18_66_mid2022"), 1)),
        "iod2025_lsoa21_lcr.csv, Knowsley employment_score_rate weighted by pop_18_66_mid2022, x 100 (percent).",
    )
    add(
        "subgroup",
        [CLA, CL],
        "Halton residents aged 25 to 34 (census)",
        answered(row("Halton", values=[c21_la("Halton", "lsoa_sum_age_25_34"), c21("age6__aged_25_to_34_years", lad="Halton")])),
        "census2021_population_age6 lsoa_sum_age_25_34 for Halton (= LSOA sum).",
    )
    add(
        "subgroup",
        [CL],
        "households in liverpool deprived in all four census dimensions",
        answered(row("Liverpool", c21("ts011_hh_deprivation__household_is_deprived_in_four_dimensions", lad="Liverpool"))),
        "census2021_lsoa21_lcr.csv, Liverpool, sum of ts011_hh_deprivation__household_is_deprived_in_four_dimensions.",
    )
    add(
        "subgroup",
        [I19IND],
        "number of pensioners in income deprivation in Liverpool (IoD 2019)",
        answered(row("Liverpool", float(IOD19_IND[IOD19_IND.lad19nm == "Liverpool"].income_deprivation_affecting_older_people_index_idaopi_numerator.sum()))),
        "iod2019_underlying_indicators_lsoa11_lcr.csv, sum of income_deprivation_affecting_older_people_index_"
        "idaopi_numerator over Liverpool LSOAs (blanks skipped).",
    )
    add(
        "subgroup",
        [HISX],
        "children and young people health index score for knowsley in 2021",
        answered(row("Knowsley", hi("Knowsley", 2021, "children_and_young_people", HIS), 1)),
        "ons_health_index_subdomains_la_2015_2021_lcr.csv, Knowsley 2021, children_and_young_people.",
    )
    lv = IOD25[IOD25.lad24nm == "Liverpool"]
    add(
        "subgroup",
        [I25],
        "IDACI - income deprivation affecting children - for Liverpool in the 2025 index",
        answered(row("Liverpool", 100 * wmean(lv, "idaci_score_rate", "pop_0_15_mid2022"), 1)),
        "iod2025_lsoa21_lcr.csv, Liverpool idaci_score_rate weighted by pop_0_15_mid2022, x 100 (percent).",
    )

    # ------------------------------------------------------------------ places
    add("place", [PLA], "population of Birkenhead, Auckland (New Zealand)", DECLINED,
        "Birkenhead in Auckland is outside the commons; the Wirral's Birkenhead must not be used.")
    add("place", [SC], "crime figures for Newport, Wales", DECLINED, "Newport (Wales) is outside the commons.")
    add("place", [I19LA, I25LA], "What's the IMD score for Manchester?", DECLINED,
        "Manchester is not one of the six city-region councils.")
    add("place", [PLA], "how many people live in St Helens, Tasmania?", DECLINED,
        "St Helens in Tasmania is outside the commons; St. Helens (Merseyside) figures would be a different place.")
    add("place", [PLA, CLA], "population of Liverpool, New South Wales", DECLINED,
        "Liverpool NSW (Australia) is outside the commons.")
    add("place", [I19LA, I25LA], "how deprived is Halton in Leeds (the suburb, not the Cheshire borough)?", DECLINED,
        "Halton in Leeds is outside the commons; Halton borough (Cheshire) figures would be a different place.")
    add("place", [I19, I25], "what's the deprivation like in Derby - the city in the East Midlands, not the Sefton ward",
        DECLINED, "Derby city is outside the commons; the Sefton ward called Derby is explicitly not meant.")
    add("place", [SC], "how much crime is there near me?", CLARIFY, "No place given: the assistant must ask which area.")
    add("place", [PLA, CLA], "whats the population round here", CLARIFY, "'round here' names no place: ask which area.")
    add("place", [PL, G19], "population of Church ward in 2019", CLARIFY,
        "Two December 2019 wards are called Church (Liverpool and Sefton): ask which.")
    add("place", [PL, G19], "what's the mid-2019 population of Riverside ward?", CLARIFY,
        "Two December 2019 wards are called Riverside (Halton and Liverpool): ask which.")
    add("place", [I25, G24], "IMD 2025 score for St Michaels ward", CLARIFY,
        "Two May 2024 wards are called St Michaels (Knowsley and Liverpool): ask which.")
    add(
        "place",
        [CLA, CL],
        "census 2021 population of the six councils",
        answered(*[row(a, values=census_pop_values(a)) for a in LAS]),
        "'the six councils' = the six city-region councils: usual_residents_ts009 (or LSOA sums) for each.",
    )
    asc = CSS.sort_values("crime_severity_score")
    add(
        "place",
        [CSSX],
        "list the crime severity scores for all the councils, lowest first",
        answered(*[row(r.ltla23_name, r.crime_severity_score, 2) for r in asc.itertuples()],
                 top=list(asc.ltla23_name)),
        "crime_severity_score_la_2022_23_lcr.csv, all six councils, ascending ('lowest first' is an order, not a place).",
    )
    add(
        "place",
        [PLA],
        "what's the central estimate for Liverpool's population in mid-2020?",
        answered(row("Liverpool", pop_la("Liverpool", 2020))),
        "'central estimate' is not Central ward: population_la Liverpool 2020 pop_total.",
    )
    add(
        "place",
        [PL, G19],
        "population of Central ward in Liverpool, mid-2019",
        answered(row("Central", pop_lsoa(2019, ward="Central"))),
        "population_lsoa11 2019, sum over LSOAs in December 2019 ward 'Central' (Liverpool).",
    )
    add("place", [SC], "crime in Halton Sep to Dec 2019", DECLINED,
        "Halton is policed by Cheshire Constabulary; the police data does not cover it.")
    add("place", [HIX], "health index score for the city region as a whole in 2021", DECLINED,
        "Health Index scores are published for councils only and cannot be added up or averaged for the city region.")
    add("place", [CSSX], "crime severity score for Merseyside overall", DECLINED,
        "Published council crime severity scores cannot be combined into a city-region figure.")
    add(
        "place",
        [I25],
        "IMD 2025 score for the Liverpool City Region overall",
        answered(row(LCR, wmean(IOD25, "imd_score", "pop_total_mid2022"), 2)),
        "iod2025_lsoa21_lcr.csv, imd_score over all 1,003 LSOAs weighted by pop_total_mid2022 (datasheet: city-"
        "region scores are population-weighted means of LSOA scores).",
    )
    add(
        "place",
        [PLA],
        "england population mid-2020",
        answered(row("England", pop_la("England (sum of LAs)", 2020))),
        "population_la, England (sum of LAs), 2020 pop_total.",
    )
    add("place", [GPX], "patients per GP in Wales", DECLINED, "Wales is not in the commons (England row only).")
    add(
        "place",
        [CL, G24],
        "Census 2021 population of Sefton Park ward (the Liverpool ward, not Sefton council)",
        answered(row("Sefton Park", c21("age6__total_usual_residents", ward="Sefton Park"))),
        "census2021_lsoa21_lcr.csv joined to lookup_lsoa21_ward24: sum of age6__total_usual_residents over LSOAs "
        "in May 2024 ward 'Sefton Park'.",
    )
    add("place", [PLA, CLA], "population of scotland?", DECLINED, "Scotland is outside the commons.")
    add(
        "place",
        [I19LA],
        "knowsly imd 2019 average score",
        answered(row("Knowsley", la_value(IOD19_LA, "lad19nm", "Knowsley", "imd_average_score"), 2)),
        "Typo for Knowsley: iod2019_la_summaries_lcr.csv imd_average_score.",
    )
    add(
        "place",
        [CLA, CL],
        "knowsley vs knowsley population (census 2021)",
        answered(row("Knowsley", values=census_pop_values("Knowsley"))),
        "The same place named twice: Knowsley's figure, no second place invented. usual_residents_ts009 or LSOA sum.",
    )
    add(
        "place",
        [CSSX],
        "crime severity in Saint Helens - or St. Helens, same place, whichever you call it",
        answered(row("St. Helens", la_value(CSS, "ltla23_name", "St. Helens", "crime_severity_score"), 2)),
        "One place written two ways: crime_severity_score_la_2022_23 St. Helens.",
    )
    add("place", [SC], "what's crime like in Lancashire?", DECLINED, "Lancashire is outside the commons.")
    add("place", [GPX], "GP patients per doctor in Warrington", DECLINED,
        "Warrington is outside the commons (it borders Halton but is not in the city region).")
    t = IOD19[IOD19.wd19nm == "Town Centre"]
    assert set(t.lad19nm) == {"St. Helens"}
    add(
        "place",
        [I19, G19],
        "IMD 2019 score for the Town Centre ward in St Helens",
        answered(row("Town Centre", wmean(t, "imd_score", "pop_total_mid2015"), 2)),
        "iod2019_lsoa11_lcr.csv, LSOAs in December 2019 ward 'Town Centre' (St. Helens), imd_score weighted "
        "by pop_total_mid2015.",
    )
    low3 = ranked(ward_scores_19("Wirral"), 3, highest=False)
    add(
        "place",
        [I19, G19],
        "Wirral wards by IMD 2019 score, lowest first - just the bottom three",
        answered(*[row(w, x, 2) for w, x in low3], top=[w for w, _ in low3]),
        "iod2019_lsoa11_lcr.csv, Wirral LSOAs grouped by wd19nm, imd_score weighted by pop_total_mid2015, "
        "ascending (least deprived first).",
    )
    add(
        "place",
        [SC, G24],
        "recorded crime in City Centre North ward, Sep-Dec 2019",
        DECLINED,
        "City Centre North is a May 2024 ward (2021 LSOAs); police data uses 2011 LSOAs and December 2019 wards, "
        "so no matching-vintage ward figure exists (Central ward would be a different place).",
    )

    # ------------------------------------------------------------------ arithmetic
    d = crimes("Liverpool") - crimes("Sefton")
    add(
        "arithmetic",
        [SC],
        "how many more crimes were there in Liverpool than in Sefton, Sep-Dec 2019?",
        answered(row("Liverpool", d)),
        f"{CRIME_NOTE}: Liverpool total minus Sefton total (all types, all four months).",
    )
    share = 100 * crimes("Knowsley") / crimes()
    add(
        "arithmetic",
        [SC],
        "what share of the city region's recorded crime (Sep-Dec 2019) was in Knowsley?",
        answered(row("Knowsley", share, 1)),
        f"{CRIME_NOTE}: Knowsley total / total of the five police-covered councils x 100 (Halton is not in the "
        "police data, so the city-region total leaves it out).",
    )

    def per1000(lad, **kw):
        return 1000 * crimes(lad, **kw) / pop_lsoa(2019, lad=lad)

    add(
        "arithmetic",
        [SC, PL],
        "whats liverpool's crime rate per 1,000 residents for sep-dec 2019",
        answered(row("Liverpool", per1000("Liverpool"), 1)),
        f"{CRIME_NOTE} for Liverpool / sum of population_lsoa11 pop_total 2019 over Liverpool LSOAs x 1000.",
    )
    add(
        "arithmetic",
        [SC, PL],
        "For a councillor briefing: crime per 1000 people for each council the police data covers, Sept-Dec 2019",
        answered(*[row(a, per1000(a), 1) for a in POLICE_LAS]),
        "Per council (Halton not covered): crimes Sep-Dec 2019 / mid-2019 LSOA population (population_lsoa11) x 1000.",
    )
    add(
        "arithmetic",
        [SC, PL],
        "burglaries per 1,000 residents in St Helens, Sep-Dec 2019",
        answered(row("St. Helens", per1000("St. Helens", types=["Burglary"]), 2)),
        "Burglary Sep-Dec 2019 in St. Helens / mid-2019 LSOA population sum x 1000.",
    )
    add(
        "arithmetic",
        [PLA, PL],
        "by how much did Liverpool's population grow between mid-2019 and mid-2020?",
        answered(row("Liverpool", pop_la("Liverpool", 2020) - pop_la("Liverpool", 2019))),
        "population_la Liverpool pop_total 2020 minus 2019.",
    )
    add(
        "arithmetic",
        [PL, PLA],
        "How much did Sefton's population change between 2017 and 2019 (mid-year estimates)?",
        answered(row("Sefton", pop_lsoa(2019, lad="Sefton") - pop_lsoa(2017, lad="Sefton"))),
        "population_lsoa11 pop_total summed over Sefton LSOAs: 2019 minus 2017 (2017 is only in the LSOA file).",
    )
    add(
        "arithmetic",
        [HIX],
        "how much did Liverpool's health index change from 2015 to 2021?",
        answered(row("Liverpool", round(hi("Liverpool", 2021) - hi("Liverpool", 2015), 6), 1)),
        "ons_health_index_la overall_score Liverpool 2021 minus 2015 (a rise, so no sign ambiguity).",
    )
    add(
        "arithmetic",
        [CLA],
        "how many more people live in Wirral than in Sefton according to the census?",
        answered(row("Wirral", values=[
            c21_la("Wirral", "usual_residents_ts009") - c21_la("Sefton", "usual_residents_ts009"),
            c21("age6__total_usual_residents", lad="Wirral") - c21("age6__total_usual_residents", lad="Sefton"),
        ])),
        "Census 2021: Wirral minus Sefton usual_residents_ts009 (or the same difference of LSOA sums).",
    )
    add(
        "arithmetic",
        [CL],
        "what percentage of Knowsley households rent from a housing association?",
        answered(row("Knowsley", 100 * c21(SOC_OTHER, lad="Knowsley") / c21("ts054_tenure__total", lad="Knowsley"), 1)),
        f"census2021_lsoa21, Knowsley: {SOC_OTHER} / ts054_tenure__total x 100.",
    )
    add(
        "arithmetic",
        [CLA, CL],
        "what % of Liverpool's residents are 65 or over (2021 census)?",
        answered(row("Liverpool", values=[
            100 * c21_la("Liverpool", "lsoa_sum_age_65plus") / c21_la("Liverpool", "usual_residents_ts009"),
            100 * c21("age6__aged_65_years_and_over", lad="Liverpool") / c21("age6__total_usual_residents", lad="Liverpool"),
        ], decimals=1)),
        "65+ band / total x 100, with the TS009 total or the LSOA age total as denominator.",
    )
    add(
        "arithmetic",
        [SC],
        "how much did recorded crime in Wirral fall from October to December 2019?",
        answered(row("Wirral", values=[crimes("Wirral", months=["2019-10"]) - crimes("Wirral", months=["2019-12"]),
                                       crimes("Wirral", months=["2019-12"]) - crimes("Wirral", months=["2019-10"])])),
        f"{CRIME_NOTE}, Wirral: 2019-10 total minus 2019-12 total; the same fall written as a negative change is "
        "also accepted.",
    )
    n = int(((IOD19.lad19nm == "Sefton") & (IOD19.imd_decile == 1)).sum())
    sef_lsoas = int((IOD19.lad19nm == "Sefton").sum())
    add(
        "arithmetic",
        [I19LA, I19],
        "what percentage of Sefton's LSOAs were in England's most deprived 10% in 2019?",
        answered(row("Sefton", values=[
            100 * la_value(IOD19_LA, "lad19nm", "Sefton", "imd_proportion_lsoas_most_deprived_10pct"),
            100 * n / sef_lsoas,
        ], decimals=1)),
        "iod2019_la_summaries imd_proportion_lsoas_most_deprived_10pct x 100 (= decile-1 LSOAs / all Sefton LSOAs).",
    )
    add(
        "arithmetic",
        [GPX],
        "how many more full-time-equivalent GPs does Wirral have than Sefton?",
        answered(row("Wirral", round(la_value(GP, "ltla24_name", "Wirral", "gp_fte") - la_value(GP, "ltla24_name", "Sefton", "gp_fte"), 6), 1)),
        "gp_patients_per_gp_fte: Wirral gp_fte minus Sefton gp_fte (March 2024).",
    )
    add(
        "arithmetic",
        [SC],
        "what proportion of all incidents recorded in Liverpool (Sep-Dec 2019) were anti-social behaviour?",
        answered(row("Liverpool", 100 * crimes("Liverpool", types=[ASB]) / crimes("Liverpool"), 1)),
        f"{CRIME_NOTE}, Liverpool: '{ASB}' / all types x 100.",
    )
    add(
        "arithmetic",
        [GPX],
        "how many fewer patients per GP does Liverpool have than England?",
        answered(row("Liverpool", values=[
            int(la_value(GP, "ltla24_name", "England (sum of LAs)", "patients_per_gp_fte"))
            - int(la_value(GP, "ltla24_name", "Liverpool", "patients_per_gp_fte")),
            int(la_value(GP, "ltla24_name", "Liverpool", "patients_per_gp_fte"))
            - int(la_value(GP, "ltla24_name", "England (sum of LAs)", "patients_per_gp_fte")),
        ])),
        "gp_patients_per_gp_fte: England patients_per_gp_fte minus Liverpool patients_per_gp_fte (the same gap "
        "written as a negative difference is also accepted).",
    )
    add(
        "arithmetic",
        [SC],
        "on average how many crimes a month did Knowsley have in the police data?",
        answered(row("Knowsley", crimes("Knowsley") / 4, 1)),
        f"{CRIME_NOTE}, Knowsley total over the four months Sep-Dec 2019, divided by 4.",
    )
    add(
        "arithmetic",
        [SC, G19],
        "what share of Liverpool's crime Sep-Dec 2019 happened in Central ward?",
        answered(row("Central", 100 * crimes("Liverpool", ward="Central") / crimes("Liverpool"), 1)),
        f"{CRIME_NOTE}: December 2019 ward 'Central' total / Liverpool total x 100.",
    )
    add(
        "arithmetic",
        [PLA, PL],
        "percentage population growth in Knowsley from mid-2019 to mid-2020",
        answered(row("Knowsley", 100 * (pop_la("Knowsley", 2020) - pop_la("Knowsley", 2019)) / pop_la("Knowsley", 2019), 2)),
        "population_la Knowsley: (2020 - 2019) / 2019 x 100.",
    )
    add(
        "arithmetic",
        [I19],
        "what's the average IMD decile of Liverpool's neighbourhoods?",
        DECLINED,
        "Deciles are categories of a national ranking; the datasheet says ranks and deciles cannot be added up or "
        "averaged for councils.",
    )
    add(
        "arithmetic",
        [CSSX],
        "add up the crime severity scores of the six councils for me",
        DECLINED,
        "Datasheet: published council scores cannot be added up or averaged to give a city-region figure.",
    )

    # ------------------------------------------------------------------ ratios
    add(
        "ratio",
        [GPX],
        "I'm a journalist doing a piece on GP shortages - what's the patients-per-GP figure for St Helens?",
        answered(row("St. Helens", int(la_value(GP, "ltla24_name", "St. Helens", "patients_per_gp_fte")))),
        "gp_patients_per_gp_fte patients_per_gp_fte for St. Helens (the ratio, not total_patients).",
    )
    add(
        "ratio",
        [GPX],
        "how stretched are GPs in Sefton? patients per full time GP",
        answered(row("Sefton", int(la_value(GP, "ltla24_name", "Sefton", "patients_per_gp_fte")))),
        "gp_patients_per_gp_fte patients_per_gp_fte for Sefton.",
    )
    dl = density("Liverpool")
    add(
        "ratio",
        [DEN],
        "people per square km in Liverpool",
        answered(row("Liverpool", dl, 0)),
        "population_density_lsoa11_mid2018: sum pop_total_mid2018 / sum area_sqkm over Liverpool LSOAs (not the "
        "mean of LSOA densities).",
    )
    add(
        "ratio",
        [DEN],
        "population density of knowsley vs wirral",
        answered(row("Knowsley", density("Knowsley"), 0), row("Wirral", density("Wirral"), 0)),
        "population_density_lsoa11_mid2018: total population / total area for each council.",
    )
    dens_all = {a: density(a) for a in LAS}
    dorder = sorted(dens_all, key=lambda a: -dens_all[a])
    add(
        "ratio",
        [DEN],
        "which council is the most densely populated?",
        answered(*[row(a, dens_all[a], 0) for a in LAS], top=dorder[:1]),
        "population_density_lsoa11_mid2018: sum population / sum area per council, highest first.",
    )
    add(
        "ratio",
        [GPX, CLA],
        "not registered patients - how many actual residents are there per GP in Sefton?",
        DECLINED,
        "The commons holds registered patients per GP FTE (practice lists, March 2024), not residents per GP; "
        "there is no 2024 resident population to divide by, and patients per GP would be a different measure.",
    )
    gsum = GP[GP.ltla24_name.isin(LAS)]
    add(
        "ratio",
        [GPX],
        "patients per GP across the whole Liverpool City Region",
        answered(row(LCR, float(gsum.total_patients.sum() / gsum.gp_fte.sum()), 0)),
        "Datasheet: the ratio is recalculated from sums for larger areas: sum total_patients / sum gp_fte over the "
        "six councils.",
    )
    dd = DENS
    add(
        "ratio",
        [DEN],
        "how many people per km2 in the city region overall?",
        answered(row(LCR, float(dd.pop_total_mid2018.sum() / dd.area_sqkm.sum()), 0)),
        "population_density_lsoa11_mid2018: sum pop_total_mid2018 / sum area_sqkm over all 989 LSOAs.",
    )
    add(
        "ratio",
        [GPX],
        "patients per GP in Birkenhead and Tranmere ward",
        DECLINED,
        "GP workforce is held by council only; there is no ward-level GP figure (Wirral's ratio would be a "
        "different place).",
    )
    gpr = GP[GP.ltla24_name.isin(LAS)].sort_values("patients_per_gp_fte", ascending=False)
    add(
        "ratio",
        [GPX],
        "which council has the worst GP ratio, i.e. most patients per GP?",
        answered(*[row(r.ltla24_name, int(r.patients_per_gp_fte)) for r in gpr.itertuples()], top=[gpr.ltla24_name.iloc[0]]),
        "gp_patients_per_gp_fte patients_per_gp_fte for the six councils, highest first.",
    )
    add(
        "ratio",
        [DEN, G19],
        "how densely populated is Everton ward (2019 boundaries)?",
        answered(row("Everton", density(ward="Everton"), 0)),
        "population_density_lsoa11_mid2018, LSOAs in December 2019 ward 'Everton': sum population / sum area.",
    )
    bt = crimes("Wirral", ward="Birkenhead and Tranmere") * 1000 / pop_lsoa(2019, ward="Birkenhead and Tranmere")
    add(
        "ratio",
        [SC, PL, G19],
        "crime rate per 1,000 residents in Birkenhead and Tranmere ward, Sep-Dec 2019",
        answered(row("Birkenhead and Tranmere", bt, 1)),
        "Crimes Sep-Dec 2019 in LSOAs of December 2019 ward 'Birkenhead and Tranmere' / their mid-2019 "
        "population (population_lsoa11) x 1000.",
    )

    # ------------------------------------------------------------------ conversations
    cv = "scope-conv-01"
    add("control", [PLA], "What was the population of Halton in mid-2020?",
        answered(row("Halton", pop_la("Halton", 2020))), "population_la Halton 2020 pop_total.", cv)
    add("period", [PLA], "and in 2019?", answered(row("Halton", pop_la("Halton", 2019))),
        "Follow-up: same measure and place, mid-2019: population_la Halton 2019.", cv)
    add("place", [PLA], "what about Wirral?", answered(row("Wirral", pop_la("Wirral", 2019))),
        "Follow-up keeps the measure and the year (2019): population_la Wirral 2019.", cv)
    add("assistant", [], "cheers. who made you btw?", DECLINED,
        "Question about the assistant itself: no figures. Expected 'declined' (an 'answered' without a table is "
        "equally acceptable in spirit; scored as declined).", cv)

    cv = "scope-conv-02"
    add("control", [SC], "Crime in Sefton by type please, Sep-Dec 2019",
        answered(*[row("Sefton", int(x), category=t) for t, x in sef.items()]),
        f"{CRIME_NOTE}, Sefton grouped by crime_type.", cv)
    add("exclusion", [SC], "ok so what's the total if you leave out shoplifting?",
        answered(row("Sefton", crimes("Sefton", excl=["Shoplifting"]))),
        f"{CRIME_NOTE}, Sefton Sep-Dec 2019, all types except Shoplifting.", cv)
    add("period", [SC], "and that same total, still without shoplifting, for October alone?",
        answered(row("Sefton", crimes("Sefton", months=["2019-10"], excl=["Shoplifting"]))),
        f"{CRIME_NOTE}, Sefton 2019-10, all types except Shoplifting.", cv)
    add("assistant", [], "what else can you do?", DECLINED,
        "Question about the assistant itself: no figures (declined, or answered without a table).", cv)

    cv = "scope-conv-03"
    add("control", [I25LA], "IMD 2025 average score for Knowsley?",
        answered(row("Knowsley", la_value(IOD25_LA, "lad24nm", "Knowsley", "imd_average_score"), 2)),
        "iod2025_la_summary_imd imd_average_score Knowsley.", cv)
    add("period", [I19LA], "and the 2019 one?",
        answered(row("Knowsley", la_value(IOD19_LA, "lad19nm", "Knowsley", "imd_average_score"), 2)),
        "Follow-up: IoD2019 council summary imd_average_score Knowsley.", cv)
    add("place", [I19LA], "how about Newport in Wales?", DECLINED,
        "Newport (Wales) is outside the commons.", cv)

    cv = "scope-conv-04"
    add("subgroup", [CL], "How many households in Liverpool rent from the council?",
        answered(row("Liverpool", c21(SOC_COUNCIL, lad="Liverpool"))),
        f"census2021_lsoa21, Liverpool, sum of {SOC_COUNCIL}.", cv)
    add("place", [CL], "and in Knowsley?", answered(row("Knowsley", c21(SOC_COUNCIL, lad="Knowsley"))),
        f"Follow-up: census2021_lsoa21, Knowsley, sum of {SOC_COUNCIL}.", cv)
    add("subgroup", [CL], "what about just over-65s renting from the council in Knowsley?", DECLINED,
        "Tenure is held for households, not by age of residents; all council renters would be a different group.", cv)
    add("assistant", [], "are you chatgpt?", DECLINED,
        "Question about the assistant itself: no figures.", cv)

    cv = "scope-conv-05"
    add("period", [SC], "burglaries in wirral in Q4 2019?",
        answered(row("Wirral", crimes("Wirral", months=MONTHS[1:], types=["Burglary"]), category="Burglary")),
        f"{CRIME_NOTE}, Wirral, Burglary, Oct-Dec 2019.", cv)
    add("period", [SC], "and in autumn 2019?",
        answered(row("Wirral", crimes("Wirral", months=MONTHS[:3], types=["Burglary"]), category="Burglary")),
        f"{CRIME_NOTE}, Wirral, Burglary, Sep-Nov 2019.", cv)
    add("assistant", [], "r u a real person or a bot lol", DECLINED,
        "Question about the assistant itself: no figures.", cv)

    cv = "scope-conv-06"
    add("ratio", [GPX], "patients per GP in St Helens?",
        answered(row("St. Helens", int(la_value(GP, "ltla24_name", "St. Helens", "patients_per_gp_fte")))),
        "gp_patients_per_gp_fte patients_per_gp_fte St. Helens.", cv)
    add("place", [GPX], "and England?",
        answered(row("England", int(la_value(GP, "ltla24_name", "England (sum of LAs)", "patients_per_gp_fte")))),
        "Follow-up: England (sum of LAs) patients_per_gp_fte.", cv)
    add("assistant", [], "how do you actually work?", DECLINED,
        "Question about the assistant itself: no figures.", cv)

    cv = "scope-conv-07"
    add("control", [CSSX], "crime severity score for Liverpool",
        answered(row("Liverpool", la_value(CSS, "ltla23_name", "Liverpool", "crime_severity_score"), 2)),
        "crime_severity_score_la_2022_23 Liverpool.", cv)
    add("assistant", [], "thanks! what's your name?", DECLINED,
        "Question about the assistant itself: no figures.", cv)

    cv = "scope-conv-08"
    add("arithmetic", [SC, PL], "Crime per 1,000 residents in Knowsley, Sep-Dec 2019?",
        answered(row("Knowsley", per1000("Knowsley"), 1)),
        "Knowsley crimes Sep-Dec 2019 / mid-2019 LSOA population sum x 1000.", cv)
    add("place", [SC], "and for Halton?", DECLINED,
        "Follow-up for Halton: not covered by the police data (Cheshire Constabulary).", cv)
    add("assistant", [], "what can you do?", DECLINED,
        "Question about the assistant itself: no figures.", cv)

    cv = "scope-conv-09"
    add("control", [CLA, CL], "census population of sefton",
        answered(row("Sefton", values=census_pop_values("Sefton"))),
        "Census 2021 usual_residents_ts009 Sefton (or LSOA sum).", cv)
    add("subgroup", [CLA], "how many of them are women?",
        answered(row("Sefton", c21_la("Sefton", "females_ts009"))),
        "Follow-up: census2021_population_age6 females_ts009 Sefton.", cv)
    add("subgroup", [CLA], "and women aged 65+?", DECLINED,
        "No sex-by-age table is held; all women or all 65+ would be a different group.", cv)

    cv = "scope-conv-10"
    add("place", [I19LA, I25LA], "how deprived is my area?", CLARIFY,
        "No place given: ask which area.", cv)
    add("control", [I19LA], "Knowsley - the IMD 2019 average score please",
        answered(row("Knowsley", la_value(IOD19_LA, "lad19nm", "Knowsley", "imd_average_score"), 2)),
        "iod2019_la_summaries imd_average_score Knowsley.", cv)

    cv = "scope-conv-11"
    add("control", [CLA, CL], "Population of Liverpool in 2021",
        answered(row("Liverpool", values=census_pop_values("Liverpool"))),
        "Census 2021: usual_residents_ts009 (486,085) or LSOA age sum (486,099), both published.", cv)
    add("period", [PL, PLA], "and five years before that?", DECLINED,
        "Five years before 2021 is 2016; population estimates are held from mid-2017 only.", cv)

    cv = "scope-conv-12"
    add("ratio", [DEN], "population density of Liverpool",
        answered(row("Liverpool", dl, 0)), "Mid-2018 density: sum population / sum area over Liverpool LSOAs.", cv)
    add("place", [DEN, G19], "and of Central ward?",
        answered(row("Central", density(ward="Central"), 0)),
        "Follow-up: LSOAs in December 2019 ward 'Central' (Liverpool), sum population / sum area.", cv)
    add("assistant", [], "who built you?", DECLINED,
        "Question about the assistant itself: no figures.", cv)


def main() -> None:
    build()
    # consecutive lines of a conversation must stay together
    seen, last = set(), None
    for c in CASES:
        cv = c["conversation"]
        if cv is not None and cv != last:
            assert cv not in seen, f"conversation {cv} is split"
            seen.add(cv)
        last = cv
    questions = [(c["conversation"], c["question"]) for c in CASES]
    assert len(questions) == len(set(questions)), "duplicate question"
    lines = []
    for i, c in enumerate(CASES, 1):
        rec = {"id": f"scope-{i:03d}", **c}
        lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=False))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = Counter(c["intent"] for c in CASES)
    print(f"wrote {len(CASES)} cases to {OUT.relative_to(ROOT)}")
    for k in INTENTS:
        print(f"  {k:11s} {counts.get(k, 0)}")


if __name__ == "__main__":
    main()

"""Build the held-out public evaluation suite (eval/suites/public_heldout.jsonl).

Every expected figure is computed here from the raw CSVs in data/raw with pandas,
following the conventions in the datasheets (data/datasheets/*.yaml):

* council figures come from a council-level file where one exists, otherwise the sum
  (counts) or population-weighted mean (scores, rates) of the council's small areas;
* ward figures are sums / weighted means of the ward's LSOAs in the ONS best-fit lookup of
  the matching vintage (2011 LSOAs -> December 2019 wards, 2021 LSOAs -> May 2024 wards);
* ranks and deciles never roll up; density rolls up as total people / total area;
* percentages are shown scaled by 100 (the datasheets' ``scale: 100``);
* police street crime covers September-December 2019 and excludes Halton.

Running the script twice writes byte-identical output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "eval" / "suites" / "public_heldout.jsonl"

LCR = "Liverpool City Region"


# --------------------------------------------------------------------------- data
def read(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name)


LK19 = read("lookup_lsoa11_ward19_lad19_lcr.csv")
LK24 = read("lookup_lsoa21_ward24_lad24_lcr.csv")

CEN_LA = read("census2021_population_age6_la_lcr_england.csv")
CEN = read("census2021_lsoa21_lcr.csv").merge(
    LK24[["lsoa21cd", "wd24cd", "wd24nm"]], on="lsoa21cd", how="left", validate="1:1"
)
CSS = read("crime_severity_score_la_2022_23_lcr.csv")
GP = read("gp_patients_per_gp_fte_la_2024_03_lcr_england.csv")
HI = read("ons_health_index_la_2015_2021_lcr.csv")
HIS = read("ons_health_index_subdomains_la_2015_2021_lcr.csv")
HOM = read("homelessness_la_2023q4_lcr.csv")
IOD19 = read("iod2019_lsoa11_lcr.csv")
IOD19_LA = read("iod2019_la_summaries_lcr.csv")
IND = read("iod2019_underlying_indicators_lsoa11_lcr.csv").merge(
    IOD19[["lsoa11cd", "pop_total_mid2015"]], on="lsoa11cd", how="left", validate="1:1"
).merge(LK19[["lsoa11cd", "wd19nm", "lad19nm"]], on="lsoa11cd", how="left", validate="1:1")
IOD25 = read("iod2025_lsoa21_lcr.csv")
IOD25_LA = read("iod2025_la_summary_imd_lcr.csv")
DEN = read("population_density_lsoa11_mid2018_lcr.csv").merge(
    LK19[["lsoa11cd", "wd19nm"]], on="lsoa11cd", how="left", validate="1:1"
)
POP_LA = read("population_la_mid2019_2020_lcr_england.csv")
POP = read("population_lsoa11_mid2017_2020_lcr.csv").merge(
    LK19[["lsoa11cd", "wd19nm"]], on="lsoa11cd", how="left", validate="m:1"
)
RUC = read("rural_urban_classification_2011_lsoa11_lcr.csv").merge(
    LK19[["lsoa11cd", "wd19nm", "lad19nm"]], on="lsoa11cd", how="left", validate="1:1"
)
CRIME = read("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv").merge(
    LK19[["lsoa11cd", "wd19nm"]], on="lsoa11cd", how="left", validate="m:1"
)

ENGLAND_CODE = "E92000001"

# Census 2021 column names used below
C_TOTAL = "age6__total_usual_residents"
AGE6 = {
    "Children aged 0-15": "age6__aged_15_years_and_under",
    "Young people aged 16-24": "age6__aged_16_to_24_years",
    "Residents aged 25-34": "age6__aged_25_to_34_years",
    "Residents aged 35-49": "age6__aged_35_to_49_years",
    "Residents aged 50-64": "age6__aged_50_to_64_years",
    "Older residents aged 65 and over": "age6__aged_65_years_and_over",
}
AGE6_LA = {
    "Children aged 0-15": "lsoa_sum_age_0_15",
    "Young people aged 16-24": "lsoa_sum_age_16_24",
    "Residents aged 25-34": "lsoa_sum_age_25_34",
    "Residents aged 35-49": "lsoa_sum_age_35_49",
    "Residents aged 50-64": "lsoa_sum_age_50_64",
    "Older residents aged 65 and over": "lsoa_sum_age_65plus",
}
T = "ts054_tenure__"
TEN_OUTRIGHT = T + "owned_owns_outright"
TEN_MORTGAGE = T + "owned_owns_with_a_mortgage_or_loan"
TEN_COUNCIL = T + "social_rented_rents_from_council_or_local_authority"
TEN_HA = T + "social_rented_other_social_rented"
TEN_PRIV_LL = T + "private_rented_private_landlord_or_letting_agency"
TEN_PRIV_OTHER = T + "private_rented_other_private_rented"
TEN_SHARED = T + "shared_ownership_shared_ownership"
TEN_TOTAL = T + "total"
ETH = {
    "Asian, Asian British or Asian Welsh residents": "ts021_ethnic_group__asian_asian_british_or_asian_welsh",
    "Black, Black British, Black Welsh, Caribbean or African residents": "ts021_ethnic_group__black_black_british_black_welsh_caribbean_or_african",
    "Residents of mixed or multiple ethnic groups": "ts021_ethnic_group__mixed_or_multiple_ethnic_groups",
    "Residents of other ethnic groups (including Arab)": "ts021_ethnic_group__other_ethnic_group",
    "White residents": "ts021_ethnic_group__white",
}
ACC = {
    "Households in detached houses": "ts044_accommodation__detached",
    "Households in semi-detached houses": "ts044_accommodation__semi_detached",
    "Households in terraced houses": "ts044_accommodation__terraced",
    "Households in purpose-built flats": "ts044_accommodation__in_a_purpose_built_block_of_flats_or_tenement",
}
HHDEP = {
    "Households not deprived in any dimension": "ts011_hh_deprivation__household_is_not_deprived_in_any_dimension",
    "Households deprived in one dimension": "ts011_hh_deprivation__household_is_deprived_in_one_dimension",
    "Households deprived in two dimensions": "ts011_hh_deprivation__household_is_deprived_in_two_dimensions",
    "Households deprived in three dimensions": "ts011_hh_deprivation__household_is_deprived_in_three_dimensions",
    "Households deprived in all four dimensions": "ts011_hh_deprivation__household_is_deprived_in_four_dimensions",
}
OVERCROWDED = [
    "ts052_bedroom_occupancy__minus1_overcrowded",
    "ts052_bedroom_occupancy__minus2_or_less_overcrowded",
]
DISABLED = "ts038_disability__disabled_under_the_equality_act"


# --------------------------------------------------------------------------- helpers
def num(x) -> float:
    """A plain Python number (int when whole) from a pandas / numpy scalar."""
    x = float(x)
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return int(x)
    return x


def clean(v, decimals: int):
    """Round to a few more places than compared, so the file is stable and readable."""
    v = num(v)
    if isinstance(v, int):
        return v
    return num(round(v, decimals + 3))


def row(place: str, value, decimals: int, category: str | None = None, values=None) -> dict:
    r: dict = {"place": place}
    if category is not None:
        r["category"] = category
    if values is not None:
        vals = [clean(v, decimals) for v in values]
        # two published figures: keep both only when they differ at the compared precision
        if len({round(float(v), decimals) for v in vals}) > 1:
            r["values"] = vals
        else:
            r["value"] = vals[0]
    else:
        r["value"] = clean(value, decimals)
    r["decimals"] = decimals
    return r


def answered(rows: list[dict], top: list[str] | None = None) -> dict:
    e: dict = {"status": "answered", "rows": rows}
    if top is not None:
        e["top"] = top
    return e


def wmean(df: pd.DataFrame, col: str, weight: str) -> float:
    d = df[[col, weight]].dropna()
    return float((d[col] * d[weight]).sum() / d[weight].sum())


def one(df: pd.DataFrame, col: str):
    assert len(df) == 1, (len(df), col)
    return df[col].iloc[0]


def la_val(df: pd.DataFrame, name_col: str, name: str, col: str):
    return one(df[df[name_col] == name], col)


def sub(df: pd.DataFrame, col: str, name: str) -> pd.DataFrame:
    d = df[df[col] == name]
    assert len(d), (col, name)
    return d


def ward_names(lookup: pd.DataFrame, ward_col: str, la_col: str, name: str) -> list[str]:
    return sorted(lookup.loc[lookup[ward_col] == name, la_col].unique())


def assert_unique_ward(lookup, ward_col, la_col, name):
    las = ward_names(lookup, ward_col, la_col, name)
    assert len(las) == 1, (name, las)


def top_n(series: pd.Series, n: int, largest: bool = True) -> pd.Series:
    s = series.sort_values(ascending=not largest, kind="mergesort")
    # a clean ranking: no tie across the cut-off or inside the top n
    assert len(s) > n
    head = s.iloc[: n + 1].round(6).tolist()
    assert len(set(head)) == n + 1, ("tie in ranking", s.iloc[: n + 1])
    return s.iloc[:n]


def pct(x) -> float:
    return float(x) * 100.0


# --------------------------------------------------------------------------- cases
CASES: list[dict] = []


def add(intent, datasets, question, expect, note, conversation=None):
    CASES.append(
        {
            "intent": intent,
            "datasets": list(datasets),
            "question": question,
            "conversation": conversation,
            "expect": expect,
            "note": note,
        }
    )


def census_sum(df: pd.DataFrame, cols) -> float:
    if isinstance(cols, str):
        cols = [cols]
    return float(df[cols].sum().sum())


def cen_ward(name: str) -> pd.DataFrame:
    assert_unique_ward(LK24, "wd24nm", "lad24nm", name)
    return sub(CEN, "wd24nm", name)


def cen_la(name: str) -> pd.DataFrame:
    return sub(CEN, "lad24nm", name)


def iod25_ward(name: str) -> pd.DataFrame:
    assert_unique_ward(LK24, "wd24nm", "lad24nm", name)
    return sub(IOD25, "wd24nm", name)


def iod19_ward(name: str) -> pd.DataFrame:
    assert_unique_ward(LK19, "wd19nm", "lad19nm", name)
    return sub(IOD19, "wd19nm", name)


def pop_ward(name: str, year: int) -> pd.DataFrame:
    assert_unique_ward(LK19, "wd19nm", "lad19nm", name)
    d = sub(POP, "wd19nm", name)
    return d[d.year == year]


def pop_la_val(name: str, year: int, col: str = "pop_total"):
    d = POP_LA[(POP_LA.area_name == name) & (POP_LA.year == year)]
    return one(d, col)


def pop_lsoa_sum(la: str, year: int, col: str = "pop_total") -> float:
    d = POP[(POP.lad19nm == la) & (POP.year == year)]
    return float(d[col].sum())


def crime(la: str | None = None, month: str | None = None, ctype: str | None = None,
          ward: str | None = None) -> pd.DataFrame:
    d = CRIME
    if la is not None:
        d = sub(d, "lad19nm", la)
    if ward is not None:
        assert_unique_ward(LK19, "wd19nm", "lad19nm", ward)
        d = sub(d, "wd19nm", ward)
    if month is not None:
        d = sub(d, "month", month)
    if ctype is not None:
        d = sub(d, "crime_type", ctype)
    return d


def cen_la_pop(name: str):
    """Council Census 2021 population: TS009 total, or the sum of its LSOAs (both right)."""
    return [la_val(CEN_LA, "area_name", name, "usual_residents_ts009"),
            census_sum(cen_la(name), C_TOTAL)]


def build():
    # ======================================================================= VALUE
    v = "value"
    add(v, ["census2021_la"], "how many women live in wirral? (2021 census)",
        answered([row("Wirral", la_val(CEN_LA, "area_name", "Wirral", "females_ts009"), 0)]),
        "census2021_la females_ts009 for Wirral (TS009, Census 2021).")

    s65 = [la_val(CEN_LA, "area_name", "Sefton", "lsoa_sum_age_65plus"),
           census_sum(cen_la("Sefton"), AGE6["Older residents aged 65 and over"])]
    add(v, ["census2021_la"], "number of pensioners (65+) in Sefton at the census in 2021?",
        answered([row("Sefton", None, 0, values=s65)]),
        "census2021_la lsoa_sum_age_65plus for Sefton; equals the sum of Sefton's 2021 LSOAs.")

    d = cen_ward("Everton East")
    add(v, ["census2021_lsoa21"], "how many households in everton east are in social housing? census 21",
        answered([row("Everton East", census_sum(d, [TEN_COUNCIL, TEN_HA]), 0)]),
        "Sum over the LSOAs best-fitted to May 2024 ward Everton East (Liverpool) of "
        "tenure social rented (council + other social rented), Census 2021 TS054.")

    d = cen_la("Knowsley")
    add(v, ["census2021_lsoa21"], "How many households in Knowsley own their home outright, according to the 2021 census?",
        answered([row("Knowsley", census_sum(d, TEN_OUTRIGHT), 0)]),
        "No council tenure file: sum of ts054_tenure__owned_owns_outright over Knowsley's 2021 LSOAs.")

    d = sub(CEN, "lsoa21nm", "Liverpool 060C")
    add(v, ["census2021_lsoa21"], "usual residents in Liverpool 060C at census 2021",
        answered([row("Liverpool 060C", one(d, C_TOTAL), 0)]),
        "census2021_lsoa21 age6__total_usual_residents for LSOA 2021 Liverpool 060C.")

    d = cen_ward("Anfield")
    add(v, ["census2021_lsoa21"], "how many disabled people live in anfield ward? 2021 census",
        answered([row("Anfield", census_sum(d, DISABLED), 0)]),
        "Sum of ts038 disabled under the Equality Act over LSOAs in May 2024 ward Anfield (Liverpool).")

    d = cen_ward("Kensington & Fairfield")
    add(v, ["census2021_lsoa21"], "overcrowded households in kensington and fairfield (census 2021)??",
        answered([row("Kensington & Fairfield", census_sum(d, OVERCROWDED), 0)]),
        "Sum of bedroom occupancy -1 and -2 or less (overcrowded) over LSOAs in May 2024 ward "
        "Kensington & Fairfield (Liverpool), Census 2021 TS052.")

    add(v, ["census2021_lsoa21"], "how many households across the whole city region live in purpose-built flats? 2021 census",
        answered([row(LCR, census_sum(CEN, ACC["Households in purpose-built flats"]), 0)]),
        "Sum of ts044 purpose-built block of flats or tenement over all 1,003 LCR 2021 LSOAs.")

    add(v, ["crime_severity_la"], "whats the crime severity score for st helens",
        answered([row("St. Helens", la_val(CSS, "ltla23_name", "St. Helens", "crime_severity_score"), 2)]),
        "crime_severity_la for St. Helens, April 2022 to March 2023 (the only period).")

    add(v, ["gp_workforce_la"], "how many GPs have we got in the Wirral?",
        answered([row("Wirral", la_val(GP, "ltla24_name", "Wirral", "gp_fte"), 1)]),
        "gp_workforce_la gp_fte (full-time equivalent) for Wirral, March 2024.")

    add(v, ["health_index_la"], "halton health index score 2021",
        answered([row("Halton", one(HI[(HI.ltla21_name == "Halton") & (HI.year == 2021)], "overall_score"), 1)]),
        "health_index_la overall_score, Halton, 2021.")

    add(v, ["health_index_la"], "What was the Healthy Places score for Wirral in 2018?",
        answered([row("Wirral", one(HI[(HI.ltla21_name == "Wirral") & (HI.year == 2018)], "healthy_places_domain_score"), 1)]),
        "health_index_la healthy_places_domain_score, Wirral, 2018.")

    add(v, ["health_index_subdomains_la"], "mental health score for knowsley on the health index",
        answered([row("Knowsley", one(HIS[(HIS.ltla21_name == "Knowsley") & (HIS.year == HIS.year.max())], "mental_health"), 1)]),
        f"health_index_subdomains_la mental_health, Knowsley, latest year {int(HIS.year.max())} (no year asked).")

    add(v, ["homelessness_la"], "how many households per 1000 are in temporary accommodation in liverpool",
        answered([row("Liverpool", la_val(HOM, "ltla23_name", "Liverpool", "households_in_temporary_accommodation_per_1000"), 2)]),
        "homelessness_la households_in_temporary_accommodation_per_1000, Liverpool, Oct-Dec 2023.")

    d = sub(IND, "lad19nm", "Wirral")
    add(v, ["iod2019_indicators_lsoa11"], "on average how far is it to the nearest GP surgery by road in wirral?",
        answered([row("Wirral", wmean(d, "road_distance_to_a_gp_surgery_indicator_km", "pop_total_mid2015"), 2)]),
        "Mean of road_distance_to_a_gp_surgery_indicator_km over Wirral's 2011 LSOAs weighted by "
        "IoD mid-2015 total population (km).")

    d = sub(IND, "lad19nm", "Knowsley")
    add(v, ["iod2019_indicators_lsoa11"], "how many kids live in income deprived families in knowsley? (number not %)",
        answered([row("Knowsley", d["income_deprivation_affecting_children_index_idaci_numerator"].sum(), 0)]),
        "Sum of the IDACI numerator (File 8) over Knowsley's 2011 LSOAs (blanks skipped).")

    assert_unique_ward(LK19, "wd19nm", "lad19nm", "Central")
    d = sub(IND, "wd19nm", "Central")
    add(v, ["iod2019_indicators_lsoa11"], "air quality indicator for Central ward in liverpool",
        answered([row("Central", wmean(d, "air_quality_indicator", "pop_total_mid2015"), 2)]),
        "Population-weighted (IoD mid-2015) mean of air_quality_indicator over LSOAs in "
        "December 2019 ward Central (Liverpool); 'Central' exists only in the 2019 wards.")

    d = sub(IND, "lad19nm", "Sefton")
    add(v, ["iod2019_indicators_lsoa11"], "what % of homes in sefton are in poor condition",
        answered([row("Sefton", pct(wmean(d, "housing_in_poor_condition_indicator", "pop_total_mid2015")), 1)]),
        "Population-weighted mean of housing_in_poor_condition_indicator over Sefton's 2011 LSOAs, x100.")

    add(v, ["iod2019_la"], "knowsley's IMD rank in 2019?",
        answered([row("Knowsley", la_val(IOD19_LA, "lad19nm", "Knowsley", "imd_rank_of_average_score"), 0)]),
        "iod2019_la imd_rank_of_average_score (the datasheet's 'IMD rank') for Knowsley.")

    d = sub(IOD19, "lad19nm", "Liverpool")
    add(v, ["iod2019_la"], "income deprivation rate for liverpool, 2019 indices",
        answered([row("Liverpool", None, 1, values=[
            pct(la_val(IOD19_LA, "lad19nm", "Liverpool", "income_average_score")),
            pct(wmean(d, "income_score", "pop_total_mid2015"))])]),
        "iod2019_la income_average_score x100 for Liverpool (the population-weighted LSOA mean "
        "is also accepted if it differs at 1 dp).")

    e_la = la_val(IOD19_LA, "lad19nm", "St. Helens", "employment_scale")
    e_sum = sub(IND, "lad19nm", "St. Helens")["employment_domain_numerator"].sum()
    add(v, ["iod2019_la"], "how many people are employment deprived in st helens? 2019 IoD",
        answered([row("St. Helens", None, 0, values=[e_la, e_sum])]),
        "iod2019_la employment_scale for St. Helens; the sum of File 8 employment numerators over "
        "its LSOAs (rounded to 5 each) is also accepted.")

    add(v, ["iod2019_lsoa11"], "imd score for Knowsley 006A in 2019",
        answered([row("Knowsley 006A", la_val(IOD19, "lsoa11nm", "Knowsley 006A", "imd_score"), 3)]),
        "iod2019_lsoa11 imd_score for LSOA 2011 Knowsley 006A.")

    d = iod19_ward("Everton")
    add(v, ["iod2019_lsoa11"], "2019 deprivation score for everton ward",
        answered([row("Everton", wmean(d, "imd_score", "pop_total_mid2015"), 3)]),
        "Weighted mean (pop_total_mid2015) of imd_score over LSOAs in December 2019 ward Everton (Liverpool).")

    d = iod19_ward("Birkenhead and Tranmere")
    add(v, ["iod2019_lsoa11"], "child poverty rate (IDACI) in birkenhead and tranmere, IoD 2019",
        answered([row("Birkenhead and Tranmere", pct(wmean(d, "idaci_score", "pop_0_15_mid2015")), 1)]),
        "Weighted mean of idaci_score by pop_0_15_mid2015 over LSOAs in Dec 2019 ward "
        "Birkenhead and Tranmere (Wirral), x100.")

    add(v, ["iod2025_la"], "what is liverpools imd rank in the 2025 indices",
        answered([row("Liverpool", la_val(IOD25_LA, "lad24nm", "Liverpool", "imd_rank_of_average_score"), 0)]),
        "iod2025_la imd_rank_of_average_score for Liverpool.")

    add(v, ["iod2025_la"], "what share of halton's neighbourhoods are in the most deprived 10% in england? imd 2025",
        answered([row("Halton", pct(la_val(IOD25_LA, "lad24nm", "Halton", "imd_proportion_lsoas_most_deprived_10pct")), 1)]),
        "iod2025_la imd_proportion_lsoas_most_deprived_10pct for Halton, x100 (% of LSOAs).")

    d = iod25_ward("Everton East")
    add(v, ["iod2025_lsoa21"], "imd 2025 score for everton east",
        answered([row("Everton East", wmean(d, "imd_score", "pop_total_mid2022"), 3)]),
        "Weighted mean (pop_total_mid2022) of imd_score over LSOAs in May 2024 ward Everton East.")

    add(v, ["iod2025_lsoa21"], "income deprivation rate in Liverpool 039A (2025)",
        answered([row("Liverpool 039A", pct(la_val(IOD25, "lsoa21nm", "Liverpool 039A", "income_score_rate")), 1)]),
        "iod2025_lsoa21 income_score_rate x100 for LSOA 2021 Liverpool 039A.")

    d = sub(IOD25, "lad24nm", "Knowsley")
    add(v, ["iod2025_lsoa21"], "employment deprivation rate for knowsley in the 2025 IoD",
        answered([row("Knowsley", pct(wmean(d, "employment_score_rate", "pop_18_66_mid2022")), 1)]),
        "No council domain file for 2025: mean of employment_score_rate over Knowsley's 2021 "
        "LSOAs weighted by pop_18_66_mid2022, x100.")

    d = DEN[DEN.lad19nm == "Liverpool"]
    add(v, ["population_density_lsoa11"], "population density of liverpool",
        answered([row("Liverpool", d.pop_total_mid2018.sum() / d.area_sqkm.sum(), 0)]),
        "Mid-2018 (only period): total pop_total_mid2018 / total area_sqkm over Liverpool's 2011 LSOAs.")

    assert_unique_ward(LK19, "wd19nm", "lad19nm", "Picton")
    d = sub(DEN, "wd19nm", "Picton")
    add(v, ["population_density_lsoa11"], "how densely populated is picton ward? people per km2",
        answered([row("Picton", d.pop_total_mid2018.sum() / d.area_sqkm.sum(), 0)]),
        "Mid-2018: total population / total area over LSOAs in Dec 2019 ward Picton (Liverpool).")

    add(v, ["population_la"], "what was the population of england in mid 2020",
        answered([row("England", pop_la_val("England (sum of LAs)", 2020), 0)]),
        "population_la England row (sum of English LAs), 2020.")

    d = pop_ward("Kirkdale", 2019)
    add(v, ["population_lsoa11"], "how many ppl lived in kirkdale ward in 2019",
        answered([row("Kirkdale", d.pop_total.sum(), 0)]),
        "Sum of pop_total 2019 over LSOAs in Dec 2019 ward Kirkdale (Liverpool; a 2019-only ward name).")

    d = pop_ward("Norris Green", 2017)
    add(v, ["population_lsoa11"], "how many under 16s lived in norris green back in 2017",
        answered([row("Norris Green", d.pop_0_15.sum(), 0)]),
        "Sum of pop_0_15, 2017, over LSOAs in Dec 2019 ward Norris Green (Liverpool).")

    d = POP[(POP.lsoa11nm == "Sefton 001A") & (POP.year == 2018)]
    add(v, ["population_lsoa11"], "populaton of Sefton 001A in 2018",
        answered([row("Sefton 001A", None, 0, values=[
            one(d, "pop_total"), la_val(DEN, "lsoa11nm", "Sefton 001A", "pop_total_mid2018")])]),
        "population_lsoa11 pop_total, Sefton 001A, 2018 (same figure as the mid-2018 density file).")

    add(v, ["street_crime_lsoa11"], "how many burglaries were there in liverpool in november 2019",
        answered([row("Liverpool", crime("Liverpool", "2019-11", "Burglary").crimes.sum(), 0)]),
        "Sum of crimes, crime_type Burglary, month 2019-11, Liverpool LSOAs.")

    add(v, ["street_crime_lsoa11"], "shoplifting in central ward (liverpool), december 2019 - how many?",
        answered([row("Central", crime(month="2019-12", ctype="Shoplifting", ward="Central").crimes.sum(), 0)]),
        "Sum of Shoplifting crimes in 2019-12 over LSOAs in Dec 2019 ward Central (Liverpool).")

    # ================================================================== COMPARISON
    c = "comparison"
    add(c, ["census2021_la"], "who has more residents, st helens or halton? 2021 census",
        answered([row("St. Helens", None, 0, values=cen_la_pop("St. Helens")),
                  row("Halton", None, 0, values=cen_la_pop("Halton"))]),
        "census2021_la usual_residents_ts009 (LSOA-sum also accepted where it differs).")

    add(c, ["gp_workforce_la"], "patients per GP in sefton compared with england?",
        answered([row("Sefton", la_val(GP, "ltla24_name", "Sefton", "patients_per_gp_fte"), 0),
                  row("England", la_val(GP, "ltla24_code", ENGLAND_CODE, "patients_per_gp_fte"), 0)]),
        "gp_workforce_la patients_per_gp_fte, March 2024; England row is the sum of English LAs.")

    add(c, ["iod2019_la"], "is wirral more deprived than sefton? going by the 2019 imd score",
        answered([row("Wirral", la_val(IOD19_LA, "lad19nm", "Wirral", "imd_average_score"), 3),
                  row("Sefton", la_val(IOD19_LA, "lad19nm", "Sefton", "imd_average_score"), 3)]),
        "iod2019_la imd_average_score for both councils.")

    add(c, ["iod2025_la", "iod2025_lsoa21"], "how does liverpool's imd 2025 score compare to the city region as a whole",
        answered([row("Liverpool", la_val(IOD25_LA, "lad24nm", "Liverpool", "imd_average_score"), 3),
                  row(LCR, wmean(IOD25, "imd_score", "pop_total_mid2022"), 3)]),
        "Liverpool from iod2025_la imd_average_score; city region = weighted mean "
        "(pop_total_mid2022) of imd_score over all 1,003 LCR 2021 LSOAs.")

    add(c, ["crime_severity_la"], "halton v knowsley crime severity",
        answered([row("Halton", la_val(CSS, "ltla23_name", "Halton", "crime_severity_score"), 2),
                  row("Knowsley", la_val(CSS, "ltla23_name", "Knowsley", "crime_severity_score"), 2)]),
        "crime_severity_la, April 2022-March 2023.")

    add(c, ["population_la"], "population of liverpool compared to england in 2019",
        answered([row("Liverpool", pop_la_val("Liverpool", 2019), 0),
                  row("England", pop_la_val("England (sum of LAs)", 2019), 0)]),
        "population_la pop_total, 2019.")

    add(c, ["homelessness_la"], "homelessness rate st helens vs wirral",
        answered([row("St. Helens", la_val(HOM, "ltla23_name", "St. Helens", "households_assessed_homeless_per_1000"), 2),
                  row("Wirral", la_val(HOM, "ltla23_name", "Wirral", "households_assessed_homeless_per_1000"), 2)]),
        "homelessness_la households_assessed_homeless_per_1000, Oct-Dec 2023.")

    h21 = HI[HI.year == 2021]
    add(c, ["health_index_la"], "who's healthier, liverpool or knowsley? health index 2021",
        answered([row("Liverpool", la_val(h21, "ltla21_name", "Liverpool", "overall_score"), 1),
                  row("Knowsley", la_val(h21, "ltla21_name", "Knowsley", "overall_score"), 1)]),
        "health_index_la overall_score, 2021.")

    add(c, ["iod2025_lsoa21"], "compare anfield and everton east on the imd 2025",
        answered([row("Anfield", wmean(iod25_ward("Anfield"), "imd_score", "pop_total_mid2022"), 3),
                  row("Everton East", wmean(iod25_ward("Everton East"), "imd_score", "pop_total_mid2022"), 3)]),
        "Weighted mean (pop_total_mid2022) of imd_score over each May 2024 ward's 2021 LSOAs.")

    add(c, ["census2021_la"], "over 65s in wirral compared with england, census 2021",
        answered([row("Wirral", None, 0, values=[la_val(CEN_LA, "area_name", "Wirral", "lsoa_sum_age_65plus"),
                                                  census_sum(cen_la("Wirral"), AGE6["Older residents aged 65 and over"])]),
                  row("England", la_val(CEN_LA, "area_code", ENGLAND_CODE, "lsoa_sum_age_65plus"), 0)]),
        "census2021_la lsoa_sum_age_65plus for Wirral and the England row.")

    add(c, ["iod2019_la"], "child poverty knowsley vs liverpool (IDACI 2019)",
        answered([row("Knowsley", pct(la_val(IOD19_LA, "lad19nm", "Knowsley", "idaci_average_score")), 1),
                  row("Liverpool", pct(la_val(IOD19_LA, "lad19nm", "Liverpool", "idaci_average_score")), 1)]),
        "iod2019_la idaci_average_score x100.")

    priv = [TEN_PRIV_LL, TEN_PRIV_OTHER]
    add(c, ["census2021_lsoa21"], "households renting privately: liverpool against the city region, 2021 census",
        answered([row("Liverpool", census_sum(cen_la("Liverpool"), priv), 0),
                  row(LCR, census_sum(CEN, priv), 0)]),
        "Sum of both private rented tenure columns (landlord/agency + other private rented) "
        "over Liverpool's and all LCR 2021 LSOAs.")

    # ===================================================================== RANKING
    r = "ranking"
    s = IOD25[IOD25.lad24nm == "Wirral"].groupby("wd24nm").apply(
        lambda x: wmean(x, "imd_score", "pop_total_mid2022"), include_groups=False)
    t = top_n(s, 5)
    add(r, ["iod2025_lsoa21"], "what are the five most deprived wards in wirral? (2025 imd)",
        answered([row(k, val, 3) for k, val in t.items()], top=list(t.index)),
        "Wirral May 2024 wards ranked by population-weighted (mid-2022) mean IMD 2025 score, highest first.")

    s = CSS.set_index("ltla23_name").crime_severity_score
    t = top_n(s, 1, largest=False)
    add(r, ["crime_severity_la"], "which of the councils has the least severe crime? crime severity score",
        answered([row(k, val, 2) for k, val in t.items()], top=list(t.index)),
        "Minimum of crime_severity_score over the six councils, 2022/23.")

    s = crime("Wirral", "2019-10").groupby("crime_type").crimes.sum()
    t = top_n(s, 1)
    add(r, ["street_crime_lsoa11"], "what was the most common type of crime on the wirral in october 2019",
        answered([row("Wirral", val, 0, category=k) for k, val in t.items()], top=list(t.index)),
        "Wirral crimes in 2019-10 summed by crime_type; the largest.")

    s = h21.set_index("ltla21_name").overall_score
    t = top_n(s, 1)
    add(r, ["health_index_la"], "which council had the highest health index score in 2021?",
        answered([row(k, val, 1) for k, val in t.items()], top=list(t.index)),
        "Maximum of overall_score across the six councils, 2021.")

    s = GP[GP.ltla24_code != ENGLAND_CODE].set_index("ltla24_name").patients_per_gp_fte
    t = top_n(s, 5)
    add(r, ["gp_workforce_la"], "rank the councils by patients per gp, worst first (top 5)",
        answered([row(k, val, 0) for k, val in t.items()], top=list(t.index)),
        "patients_per_gp_fte for the six councils (England row excluded), highest first, top 5.")

    s = crime("Knowsley", "2019-10").groupby("wd19nm").crimes.sum()
    t = top_n(s, 3)
    add(r, ["street_crime_lsoa11"], "which 3 wards in knowsley had the most crime in october 2019",
        answered([row(k, val, 0) for k, val in t.items()], top=list(t.index)),
        "Knowsley crimes (all types incl. ASB) in 2019-10 summed by Dec 2019 ward (best-fit lookup).")

    s = IOD25[IOD25.lad24nm == "Wirral"].set_index("lsoa21nm").imd_score
    t = top_n(s, 1, largest=False)
    add(r, ["iod2025_lsoa21"], "least deprived lsoa in wirral on the 2025 imd?",
        answered([row(k, val, 3) for k, val in t.items()], top=list(t.index)),
        "Wirral 2021 LSOA with the lowest IMD 2025 score (equivalently the highest rank).")

    s = CEN[CEN.lad24nm == "Sefton"].groupby("wd24nm")[[TEN_COUNCIL, TEN_HA]].sum().sum(axis=1)
    t = top_n(s, 5)
    add(r, ["census2021_lsoa21"], "top 5 wards in sefton with the most social housing households (census 2021)",
        answered([row(k, val, 0) for k, val in t.items()], top=list(t.index)),
        "Sefton May 2024 wards by sum of social rented households (council + other), highest first.")

    s = HOM.set_index("ltla23_name").households_in_temporary_accommodation_per_1000
    t = top_n(s, 1)
    add(r, ["homelessness_la"], "which council has the highest rate of households in temporary accommodation",
        answered([row(k, val, 2) for k, val in t.items()], top=list(t.index)),
        "Maximum households_in_temporary_accommodation_per_1000, Oct-Dec 2023.")

    g = DEN.groupby("wd19nm")[["pop_total_mid2018", "area_sqkm"]].sum()
    s = g.pop_total_mid2018 / g.area_sqkm
    t = top_n(s, 3)
    for k in t.index:
        assert_unique_ward(LK19, "wd19nm", "lad19nm", k)
    add(r, ["population_density_lsoa11"], "3 most densely populated wards in the city region?",
        answered([row(k, val, 0) for k, val in t.items()], top=list(t.index)),
        "Dec 2019 wards across LCR, density = total mid-2018 population / total area of their LSOAs, highest first.")

    s = POP[(POP.lad19nm == "St. Helens") & (POP.year == 2020)].groupby("wd19nm").pop_total.sum()
    t = top_n(s, 1)
    add(r, ["population_lsoa11"], "which ward in st helens had the biggest population in 2020",
        answered([row(k, val, 0) for k, val in t.items()], top=list(t.index)),
        "St. Helens Dec 2019 wards, sum of pop_total 2020, largest.")

    s = IOD19_LA.set_index("lad19nm").imd_average_score
    t = top_n(s, 5)
    add(r, ["iod2019_la"], "rank the lcr councils by deprivation, 2019 imd average score, most deprived first",
        answered([row(k, val, 3) for k, val in t.items()], top=list(t.index)),
        "iod2019_la imd_average_score, highest first (top 5 of 6 listed).")

    s = HIS[HIS.year == 2021].set_index("ltla21_name").mental_health
    t = top_n(s, 1, largest=False)
    add(r, ["health_index_subdomains_la"], "which council had the worst mental health score in 2021",
        answered([row(k, val, 1) for k, val in t.items()], top=list(t.index)),
        "Lowest mental_health subdomain score in 2021 (higher is healthier).")

    s = crime("Liverpool", "2019-12").groupby("lsoa11nm").crimes.sum()
    t = top_n(s, 5)
    add(r, ["street_crime_lsoa11"], "top 5 lsoas in liverpool for crime in december 2019",
        answered([row(k, val, 0) for k, val in t.items()], top=list(t.index)),
        "Liverpool 2011 LSOAs by total crimes (all types) in 2019-12, highest first.")

    s = IOD25[IOD25.lad24nm == "Halton"].groupby("wd24nm").apply(
        lambda x: wmean(x, "idaci_score_rate", "pop_0_15_mid2022"), include_groups=False)
    t = top_n(s, 1)
    add(r, ["iod2025_lsoa21"], "which halton ward has the highest child poverty rate (IDACI 2025)?",
        answered([row(k, pct(val), 1) for k, val in t.items()], top=list(t.index)),
        "Halton May 2024 wards, mean idaci_score_rate weighted by pop_0_15_mid2022, x100, highest.")

    # ======================================================================= TREND
    tr = "trend"
    yrs = [2017, 2018, 2019, 2020]
    rows = []
    for y in yrs:
        if y in (2019, 2020):
            rows.append(row("St. Helens", None, 0, values=[pop_la_val("St. Helens", y), pop_lsoa_sum("St. Helens", y)]))
        else:
            rows.append(row("St. Helens", pop_lsoa_sum("St. Helens", y), 0))
    add(tr, ["population_lsoa11", "population_la"], "st hellens population 2017 to 2020, has it grown?",
        answered(rows),
        "St. Helens total population 2017-2020: 2017 and 2018 are sums of LSOA estimates; 2019 and "
        "2020 from population_la (equal to the LSOA sums).")

    d = HI[HI.ltla21_name == "Knowsley"].sort_values("year")
    add(tr, ["health_index_la"], "knowsley health index over time",
        answered([row("Knowsley", x, 1) for x in d.overall_score]),
        "health_index_la overall_score for Knowsley, each year 2015-2021 in order.")

    d = crime("Knowsley").groupby("month").crimes.sum().sort_index()
    add(tr, ["street_crime_lsoa11"], "knowsley crime month by month, sept to dec 2019",
        answered([row("Knowsley", x, 0) for x in d]),
        "Knowsley total crimes (all types) per month 2019-09..2019-12.")

    rows = [row("Everton", pop_ward("Everton", y).pop_total.sum(), 0) for y in yrs]
    add(tr, ["population_lsoa11"], "everton ward population 2017 to 2020 - going up or down?",
        answered(rows), "Sum of pop_total over Dec 2019 ward Everton's LSOAs, each year 2017-2020.")

    d = HIS[HIS.ltla21_name == "Sefton"].sort_values("year")
    add(tr, ["health_index_subdomains_la"], "how has seftons mental health score changed since 2015",
        answered([row("Sefton", x, 1) for x in d.mental_health]),
        "health_index_subdomains_la mental_health, Sefton, 2015-2021.")

    d = HI[HI.ltla21_name == "Wirral"].sort_values("year")
    add(tr, ["health_index_la"], "wirral healthy lives score over time",
        answered([row("Wirral", x, 1) for x in d.healthy_lives_domain_score]),
        "health_index_la healthy_lives_domain_score, Wirral, 2015-2021.")

    d = crime("Liverpool", ctype="Anti-social behaviour").groupby("month").crimes.sum().sort_index()
    add(tr, ["street_crime_lsoa11"], "has anti social behaviour in liverpool gone up or down from september to december 2019?",
        answered([row("Liverpool", x, 0) for x in d]),
        "Liverpool Anti-social behaviour counts per month 2019-09..2019-12.")

    rows = [row(LCR, POP[POP.year == y].pop_total.sum(), 0) for y in yrs]
    add(tr, ["population_lsoa11"], "population of the liverpool city region 2017-2020",
        answered(rows), "Sum of pop_total over all 989 LCR 2011 LSOAs, each year 2017-2020.")

    # =================================================================== BREAKDOWN
    b = "breakdown"
    bands = {"Children aged 0-15": "pop_0_15", "Working-age residents aged 16-64": "pop_16_64",
             "Older residents aged 65 and over": "pop_65plus"}
    add(b, ["population_la"], "age breakdown for halton in 2020 pls",
        answered([row("Halton", pop_la_val("Halton", 2020, col), 0, category=lab) for lab, col in bands.items()]),
        "population_la 2020 Halton broad age bands (0-15, 16-64, 65+).")

    d = cen_la("Sefton")
    add(b, ["census2021_lsoa21"], "whats the ethnic mix like in sefton",
        answered([row("Sefton", census_sum(d, col), 0, category=lab) for lab, col in ETH.items()]),
        "Census 2021 (only period) TS021 five high-level ethnic groups summed over Sefton's 2021 LSOAs.")

    s = crime("St. Helens", "2019-09").groupby("crime_type").crimes.sum().sort_values(ascending=False, kind="mergesort")
    add(b, ["street_crime_lsoa11"], "what kinds of crime happened in st helens in sept 2019? split by type",
        answered([row("St. Helens", val, 0, category=k) for k, val in s.items()]),
        "St. Helens 2019-09 crimes summed by crime_type (every type present).")

    s = IOD25[IOD25.lad24nm == "Knowsley"].groupby("wd24nm").apply(
        lambda x: wmean(x, "imd_score", "pop_total_mid2022"), include_groups=False).sort_index()
    add(b, ["iod2025_lsoa21"], "imd 2025 score for each ward in knowsley",
        answered([row(k, val, 3) for k, val in s.items()]),
        "Every Knowsley May 2024 ward: weighted mean (pop_total_mid2022) of LSOA imd_score.")

    d = cen_la("Wirral")
    tenure = {
        "Households that own their home outright": TEN_OUTRIGHT,
        "Households that own their home with a mortgage": TEN_MORTGAGE,
        "Households renting from the council": TEN_COUNCIL,
        "Households renting from a housing association or other social landlord": TEN_HA,
        "Households renting from a private landlord or letting agency": TEN_PRIV_LL,
    }
    add(b, ["census2021_lsoa21"], "housing tenure breakdown for wirral",
        answered([row("Wirral", census_sum(d, col), 0, category=lab) for lab, col in tenure.items()]),
        "Census 2021 TS054 tenure categories summed over Wirral's 2021 LSOAs (main categories checked).")

    las = ["Halton", "Knowsley", "Liverpool", "St. Helens", "Sefton", "Wirral"]
    add(b, ["census2021_la"], "population of each council in the city region at the 2021 census",
        answered([row(n, None, 0, values=cen_la_pop(n)) for n in las]),
        "census2021_la usual_residents_ts009 for the six councils (LSOA sums accepted where they differ).")

    d = cen_ward("Anfield")
    add(b, ["census2021_lsoa21"], "age breakdown of anfield ward, census 2021",
        answered([row("Anfield", census_sum(d, col), 0, category=lab) for lab, col in AGE6.items()]),
        "Six census age bands summed over LSOAs in May 2024 ward Anfield (Liverpool).")

    s = RUC[RUC.lad19nm == "Wirral"].groupby("ruc11nm").size()
    add(b, ["rural_urban_lsoa11"], "rural urban split of lsoas in wirral",
        answered([row("Wirral", val, 0, category=k) for k, val in s.items()]),
        "Count of Wirral 2011 LSOAs by ruc11nm.")

    d = HI[(HI.ltla21_name == "Halton") & (HI.year == 2021)]
    doms = {"Health Index: Healthy People domain": "healthy_people_domain_score",
            "Health Index: Healthy Lives domain": "healthy_lives_domain_score",
            "Health Index: Healthy Places domain": "healthy_places_domain_score"}
    add(b, ["health_index_la"], "health index domains for halton in 2021",
        answered([row("Halton", one(d, col), 1, category=lab) for lab, col in doms.items()]),
        "health_index_la three domain scores, Halton, 2021.")

    d = cen_la("St. Helens")
    add(b, ["census2021_lsoa21"], "what types of homes do people live in in st helens? detached, semis, terraces, flats",
        answered([row("St. Helens", census_sum(d, col), 0, category=lab) for lab, col in ACC.items()]),
        "Census 2021 TS044 accommodation type summed over St. Helens 2021 LSOAs (four main types).")

    s = POP[(POP.lad19nm == "Halton") & (POP.year == 2019)].groupby("wd19nm").pop_total.sum().sort_index()
    add(b, ["population_lsoa11"], "2019 population of each ward in halton",
        answered([row(k, val, 0) for k, val in s.items()]),
        "Every Halton Dec 2019 ward: sum of 2019 pop_total over its LSOAs.")

    d = cen_la("Knowsley")
    add(b, ["census2021_lsoa21"], "households in knowsley broken down by how many dimensions of deprivation they have (census)",
        answered([row("Knowsley", census_sum(d, col), 0, category=lab) for lab, col in HHDEP.items()]),
        "Census 2021 TS011 household deprivation categories summed over Knowsley's 2021 LSOAs.")

    # ===================================================================== SUMMARY
    sm = "summary"
    for name, q in [("Halton", "overview of halton please"),
                    ("Knowsley", "summary of knowsley pls"),
                    ("Wirral", "tell me about the wirral - people, deprivation, that sort of thing"),
                    ("St. Helens", "can i get a quick profile of st helens")]:
        add(sm, ["census2021_la", "iod2025_la"], q,
            answered([row(name, None, 0, values=cen_la_pop(name)),
                      row(name, la_val(IOD25_LA, "lad24nm", name, "imd_average_score"), 3)]),
            f"Headline figures for {name}: Census 2021 population (TS009; LSOA sum also accepted) and "
            "IMD 2025 average score (iod2025_la), the latest periods held.")

    # ======================================================================= COUNT
    k = "count"
    d = IOD25[IOD25.lad24nm == "Liverpool"]
    add(k, ["iod2025_lsoa21"], "how many of liverpool's lsoas are in imd decile 1 on the 2025 index",
        answered([row("Liverpool", (d.imd_decile == 1).sum(), 0)]),
        "Count of Liverpool 2021 LSOAs with imd_decile == 1 (IoD2025).")

    d = IOD19[IOD19.lad19nm == "Wirral"]
    add(k, ["iod2019_lsoa11"], "how many wirral lsoas were in the most deprived 10% nationally in the 2019 imd",
        answered([row("Wirral", (d.imd_decile == 1).sum(), 0)]),
        "Count of Wirral 2011 LSOAs with imd_decile == 1 (IoD2019).")

    add(k, ["rural_urban_lsoa11"], "how many rural lsoas are there in the city region",
        answered([row(LCR, (RUC.urban_rural == "Rural").sum(), 0)]),
        "Count of LCR 2011 LSOAs with urban_rural == 'Rural'.")

    d = IOD25[IOD25.lad24nm == "Sefton"]
    add(k, ["iod2025_lsoa21"], "how many neighbourhoods in sefton are in the least deprived decile (imd 2025)",
        answered([row("Sefton", (d.imd_decile == 10).sum(), 0)]),
        "Count of Sefton 2021 LSOAs with imd_decile == 10.")

    s = IOD25[IOD25.lad24nm == "Wirral"].groupby("wd24nm").apply(
        lambda x: wmean(x, "imd_score", "pop_total_mid2022"), include_groups=False)
    assert not any(abs(s - 40) < 0.01)
    add(k, ["iod2025_lsoa21"], "how many wards in wirral have an imd 2025 score above 40",
        answered([row("Wirral", (s > 40).sum(), 0)]),
        "Wirral May 2024 wards whose weighted mean (pop_total_mid2022) IMD 2025 score > 40.")

    s = crime("St. Helens", "2019-12").groupby("lsoa11cd").crimes.sum()
    add(k, ["street_crime_lsoa11"], "how many lsoas in st helens had more than 50 crimes in december 2019?",
        answered([row("St. Helens", (s > 50).sum(), 0)]),
        "St. Helens 2011 LSOAs whose total crimes (all types) in 2019-12 exceed 50 (strictly).")

    d = IOD25[IOD25.lad24nm == "Halton"]
    add(k, ["iod2025_lsoa21"], "how many halton lsoas are in the most deprived 10% for income deprivation? 2025",
        answered([row("Halton", (d.income_decile == 1).sum(), 0)]),
        "Count of Halton 2021 LSOAs with income_decile == 1 (IoD2025).")

    d = POP[(POP.lad19nm == "Liverpool") & (POP.year == 2020)]
    add(k, ["population_lsoa11"], "how many lsoas in liverpool had more than 2000 people in 2020",
        answered([row("Liverpool", (d.pop_total > 2000).sum(), 0)]),
        "Liverpool 2011 LSOAs with pop_total (2020) > 2000.")

    # ==================================================================== FOLLOWUP
    f = "followup"
    conv = "held-conv-01"
    add(v, ["population_la"], "how many people lived in knowsley in 2019?",
        answered([row("Knowsley", pop_la_val("Knowsley", 2019), 0)]),
        "population_la pop_total, Knowsley, 2019.", conv)
    add(f, ["population_la"], "what about 2020 then",
        answered([row("Knowsley", pop_la_val("Knowsley", 2020), 0)]),
        "Carries Knowsley and population; population_la 2020.", conv)
    add(f, ["population_la"], "and for wirral?",
        answered([row("Wirral", pop_la_val("Wirral", 2020), 0)]),
        "Carries population and 2020; Wirral from population_la.", conv)

    conv = "held-conv-02"
    add(v, ["iod2025_la"], "imd 2025 score for sefton",
        answered([row("Sefton", la_val(IOD25_LA, "lad24nm", "Sefton", "imd_average_score"), 3)]),
        "iod2025_la imd_average_score, Sefton.", conv)
    add(f, ["iod2025_la"], "what about halton?",
        answered([row("Halton", la_val(IOD25_LA, "lad24nm", "Halton", "imd_average_score"), 3)]),
        "Carries IMD 2025 average score; Halton.", conv)
    add(f, ["iod2025_la"], "and what's its rank?",
        answered([row("Halton", la_val(IOD25_LA, "lad24nm", "Halton", "imd_rank_of_average_score"), 0)]),
        "Carries Halton and IMD 2025; imd_rank_of_average_score (the 'IMD rank').", conv)

    conv = "held-conv-03"
    add(v, ["street_crime_lsoa11"], "burglaries in liverpool in september 2019",
        answered([row("Liverpool", crime("Liverpool", "2019-09", "Burglary").crimes.sum(), 0)]),
        "Burglary, 2019-09, Liverpool.", conv)
    add(f, ["street_crime_lsoa11"], "and in december?",
        answered([row("Liverpool", crime("Liverpool", "2019-12", "Burglary").crimes.sum(), 0)]),
        "Carries Liverpool and Burglary; 2019-12.", conv)
    add(f, ["street_crime_lsoa11"], "what about knowsley",
        answered([row("Knowsley", crime("Knowsley", "2019-12", "Burglary").crimes.sum(), 0)]),
        "Carries Burglary and December 2019; Knowsley.", conv)

    conv = "held-conv-04"
    add(v, ["crime_severity_la"], "crime severity score for liverpool?",
        answered([row("Liverpool", la_val(CSS, "ltla23_name", "Liverpool", "crime_severity_score"), 2)]),
        "crime_severity_la, Liverpool.", conv)
    add(f, ["crime_severity_la"], "how does that compare with knowsley",
        answered([row("Liverpool", la_val(CSS, "ltla23_name", "Liverpool", "crime_severity_score"), 2),
                  row("Knowsley", la_val(CSS, "ltla23_name", "Knowsley", "crime_severity_score"), 2)]),
        "Carries crime severity score; compares Liverpool with Knowsley.", conv)

    conv = "held-conv-05"
    add(v, ["health_index_la"], "health index for st helens in 2016",
        answered([row("St. Helens", one(HI[(HI.ltla21_name == "St. Helens") & (HI.year == 2016)], "overall_score"), 1)]),
        "health_index_la overall_score, St. Helens, 2016.", conv)
    add(f, ["health_index_la"], "and 2021?",
        answered([row("St. Helens", one(HI[(HI.ltla21_name == "St. Helens") & (HI.year == 2021)], "overall_score"), 1)]),
        "Carries St. Helens and overall score; 2021.", conv)
    add(f, ["health_index_subdomains_la"], "what about the mental health bit of it?",
        answered([row("St. Helens", one(HIS[(HIS.ltla21_name == "St. Helens") & (HIS.year == 2021)], "mental_health"), 1)]),
        "Carries St. Helens and 2021; mental_health subdomain.", conv)

    conv = "held-conv-06"
    add(v, ["census2021_lsoa21"], "how many households rent privately in wirral? census 2021",
        answered([row("Wirral", census_sum(cen_la("Wirral"), priv), 0)]),
        "Sum of both private rented tenure columns over Wirral's 2021 LSOAs.", conv)
    add(f, ["census2021_lsoa21"], "and in sefton?",
        answered([row("Sefton", census_sum(cen_la("Sefton"), priv), 0)]),
        "Carries private renting households; Sefton.", conv)

    # ===================================================================== CLARIFY
    cl = "clarify"
    assert ward_names(LK24, "wd24nm", "lad24nm", "Church") == ["Liverpool", "Sefton"]
    add(cl, ["census2021_lsoa21"], "how many households are there in church ward? 2021 census",
        {"status": "clarify"},
        "'Church' is a May 2024 ward in both Liverpool and Sefton (lookup_lsoa21_ward24).")
    assert ward_names(LK19, "wd19nm", "lad19nm", "Church") == ["Liverpool", "Sefton"]
    add(cl, ["street_crime_lsoa11"], "crime in church ward in november 2019",
        {"status": "clarify"},
        "'Church' is a December 2019 ward in both Liverpool and Sefton (lookup_lsoa11_ward19).")
    assert ward_names(LK19, "wd19nm", "lad19nm", "Riverside") == ["Halton", "Liverpool"]
    add(cl, ["population_lsoa11"], "population of riverside ward in 2019",
        {"status": "clarify"},
        "'Riverside' is a December 2019 ward in both Halton and Liverpool.")
    add(cl, ["iod2019_lsoa11"], "whats the 2019 deprivation score for riverside",
        {"status": "clarify"},
        "'Riverside' is a December 2019 ward in both Halton and Liverpool (IoD2019 uses 2019 wards).")
    assert ward_names(LK24, "wd24nm", "lad24nm", "St Michaels") == ["Knowsley", "Liverpool"]
    add(cl, ["iod2025_lsoa21"], "imd 2025 score for st michaels ward",
        {"status": "clarify"},
        "'St Michaels' is a May 2024 ward in both Knowsley and Liverpool.")

    # ===================================================================== NO DATA
    n = "no_data"
    nd = {"status": "no_data"}
    add(n, [], "what's the life expectancy for men in knowsley", nd,
        "Life expectancy (OHID Fingertips) is not held (SOURCES: could not be found).")
    add(n, [], "population of manchester in 2020", nd,
        "Manchester is outside the Liverpool City Region.")
    add(n, ["street_crime_lsoa11"], "how many burglaries in halton in october 2019?", nd,
        "Police street crime excludes Halton (Cheshire Constabulary).")
    add(n, [], "average house price in sefton", nd, "House prices are not held.")
    add(n, [], "broadband speeds in st helens", nd, "Broadband (Ofcom) is not held.")
    add(n, ["health_index_la"], "liverpool health index score for 2023", nd,
        f"Health Index is held for {int(HI.year.min())}-{int(HI.year.max())} only.")
    add(n, [], "imd score for warrington", nd, "Warrington is outside the Liverpool City Region.")
    add(n, [], "how many households in liverpool don't have a car or van", nd,
        "Census 2021 car or van availability (TS045) is not held.")
    add(n, ["street_crime_lsoa11"], "number of burglaries in wirral in june 2021", nd,
        "Police street crime is held for September-December 2019 only.")


def check_coverage():
    sheets = sorted(p.stem for p in (ROOT / "data" / "datasheets").glob("*.yaml")
                    if not p.stem.startswith("geo_"))
    used = {ds for case in CASES for ds in case["datasets"]}
    missing = [s for s in sheets if s not in used]
    assert not missing, missing
    unknown = sorted(used - set(sheets))
    assert not unknown, unknown


def main():
    build()
    check_coverage()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, case in enumerate(CASES, start=1):
        rec = {"id": f"held-{i:03d}", **case}
        lines.append(json.dumps(rec, ensure_ascii=False))
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for case in CASES:
        counts[case["intent"]] = counts.get(case["intent"], 0) + 1
    print(f"wrote {len(CASES)} cases to {OUT}")
    for key in sorted(counts):
        print(f"  {key:11s} {counts[key]}")


if __name__ == "__main__":
    main()

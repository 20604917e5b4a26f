"""Build the public evaluation suite (eval/suites/public.jsonl) from the raw CSVs.

Every expected figure is computed here, independently of the product, straight from
``data/raw/*.csv`` with the ``csv`` module.  Nothing is imported from ``assistant`` or
``retrieval``.  Running the script twice gives byte-identical output.

    .venv/bin/python eval/build_public_suite.py [--out PATH]

Case format (one JSON object per line)::

    {"id", "intent", "datasets", "question", "conversation", "expect", "note"}

``expect`` is matched by ``eval/runner.py``.  Non-integer expected values are stored with
two more decimals than the product shows, so that any correct rounding of the true value
to ``decimals`` places falls inside the tolerance (0.6 * 10**-decimals).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "eval" / "suites" / "public.jsonl"

# Dataset ids used in the "datasets" tag of each case (one per raw data file).
DATASET_IDS: tuple[str, ...] = (
    "population_lsoa11",
    "population_la",
    "population_density_lsoa11",
    "iod2019_lsoa11",
    "iod2019_la",
    "iod2019_indicators_lsoa11",
    "iod2025_lsoa21",
    "iod2025_la",
    "census2021_lsoa21",
    "census2021_la",
    "street_crime_lsoa11",
    "health_index_la",
    "health_index_subdomains_la",
    "homelessness_la",
    "crime_severity_la",
    "gp_workforce_la",
    "rural_urban_lsoa11",
)

INTENTS: tuple[str, ...] = (
    "value", "comparison", "ranking", "trend", "breakdown", "summary", "count",
    "clarify", "no_data",
)

COUNCILS = ("Halton", "Knowsley", "Liverpool", "St Helens", "Sefton", "Wirral")
MONTHS = ("2019-09", "2019-10", "2019-11", "2019-12")


# --------------------------------------------------------------------------- loading

def read(name: str) -> list[dict[str, str]]:
    with open(RAW / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def la(name: str) -> str:
    """Council display name: the sources spell it "St. Helens"."""
    return name.replace("St. Helens", "St Helens")


class Data:
    def __init__(self) -> None:
        self.lk19 = {r["lsoa11cd"]: (r["wd19nm"], la(r["lad19nm"]))
                     for r in read("lookup_lsoa11_ward19_lad19_lcr.csv")}
        self.lk24 = {r["lsoa21cd"]: (r["wd24nm"], la(r["lad24nm"]))
                     for r in read("lookup_lsoa21_ward24_lad24_lcr.csv")}
        self.pop_lsoa = read("population_lsoa11_mid2017_2020_lcr.csv")
        self.pop_la = read("population_la_mid2019_2020_lcr_england.csv")
        self.density = read("population_density_lsoa11_mid2018_lcr.csv")
        self.census = read("census2021_lsoa21_lcr.csv")
        self.census_la = read("census2021_population_age6_la_lcr_england.csv")
        self.iod19 = read("iod2019_lsoa11_lcr.csv")
        self.iod19_la = read("iod2019_la_summaries_lcr.csv")
        self.iod19_ind = {r["lsoa11cd"]: r for r in read("iod2019_underlying_indicators_lsoa11_lcr.csv")}
        self.iod25 = read("iod2025_lsoa21_lcr.csv")
        self.iod25_la = read("iod2025_la_summary_imd_lcr.csv")
        self.crime = read("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
        self.hi = read("ons_health_index_la_2015_2021_lcr.csv")
        self.hi_sub = read("ons_health_index_subdomains_la_2015_2021_lcr.csv")
        self.homeless = read("homelessness_la_2023q4_lcr.csv")
        self.severity = read("crime_severity_score_la_2022_23_lcr.csv")
        self.gp = read("gp_patients_per_gp_fte_la_2024_03_lcr_england.csv")
        self.ruc = read("rural_urban_classification_2011_lsoa11_lcr.csv")

    # ---- area filters: a predicate over an LSOA code, for 2011 or 2021 LSOAs
    def in11(self, council: str | None = None, ward: str | None = None) -> Callable[[str], bool]:
        def f(code: str) -> bool:
            w, c = self.lk19[code]
            return (council is None or c == council) and (ward is None or w == ward)
        return f

    def in21(self, council: str | None = None, ward: str | None = None) -> Callable[[str], bool]:
        def f(code: str) -> bool:
            w, c = self.lk24[code]
            return (council is None or c == council) and (ward is None or w == ward)
        return f

    # ---- population
    def pop_sum(self, year: int, where: Callable[[str], bool], col: str = "pop_total") -> int:
        return sum(int(r[col]) for r in self.pop_lsoa
                   if int(r["year"]) == year and where(r["lsoa11cd"]))

    def pop_la_value(self, name: str, year: int, col: str = "pop_total") -> int:
        for r in self.pop_la:
            if la(r["area_name"]).startswith(name) and int(r["year"]) == year:
                return int(r[col])
        raise KeyError((name, year))

    def census_la_row(self, name: str) -> dict[str, str]:
        for r in self.census_la:
            if la(r["area_name"]).startswith(name):
                return r
        raise KeyError(name)

    def census_sum(self, cols: Iterable[str] | str, where: Callable[[str], bool]) -> int:
        cols = [cols] if isinstance(cols, str) else list(cols)
        return sum(int(r[c]) for r in self.census if where(r["lsoa21cd"]) for c in cols)

    def census_share(self, cols: Iterable[str] | str, total: str, where: Callable[[str], bool]) -> float:
        return self.census_sum(cols, where) / self.census_sum(total, where) * 100

    # ---- deprivation
    @staticmethod
    def wmean(rows: list[dict[str, str]], key: str, col: str, weight: str,
              where: Callable[[str], bool]) -> float:
        num = den = 0.0
        for r in rows:
            if where(r[key]):
                w = float(r[weight])
                num += float(r[col]) * w
                den += w
        return num / den

    def imd25(self, where: Callable[[str], bool], col: str = "imd_score") -> float:
        return self.wmean(self.iod25, "lsoa21cd", col, "pop_total_mid2022", where)

    def imd19(self, where: Callable[[str], bool], col: str = "imd_score") -> float:
        return self.wmean(self.iod19, "lsoa11cd", col, "pop_total_mid2015", where)

    def decile1_25(self, where: Callable[[str], bool]) -> int:
        return sum(1 for r in self.iod25 if where(r["lsoa21cd"]) and r["imd_decile"] == "1")

    def decile1_19(self, where: Callable[[str], bool]) -> int:
        return sum(1 for r in self.iod19 if where(r["lsoa11cd"]) and r["imd_decile"] == "1")

    def la19(self, name: str, col: str) -> float:
        for r in self.iod19_la:
            if la(r["lad19nm"]) == name:
                return float(r[col])
        raise KeyError(name)

    def la25(self, name: str, col: str) -> float:
        for r in self.iod25_la:
            if la(r["lad24nm"]) == name:
                return float(r[col])
        raise KeyError(name)

    def gp_road_distance(self, where: Callable[[str], bool]) -> float:
        num = den = 0.0
        for r in self.iod19:
            if where(r["lsoa11cd"]):
                w = float(r["pop_total_mid2015"])
                num += float(self.iod19_ind[r["lsoa11cd"]]["road_distance_to_a_gp_surgery_indicator_km"]) * w
                den += w
        return num / den

    # ---- crime
    def crimes(self, where: Callable[[str], bool], month: str | None = None,
               crime_type: str | None = None) -> int:
        return sum(int(r["crimes"]) for r in self.crime
                   if where(r["lsoa11cd"])
                   and (month is None or r["month"] == month)
                   and (crime_type is None or r["crime_type"] == crime_type))

    def crime_by_ward(self, council: str) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for r in self.crime:
            w, c = self.lk19[r["lsoa11cd"]]
            if c == council:
                out[w] += int(r["crimes"])
        return dict(out)

    # ---- LA tables
    @staticmethod
    def la_value(rows: list[dict[str, str]], name_col: str, name: str, col: str,
                 year: int | None = None) -> float:
        for r in rows:
            if la(r[name_col]).startswith(name) and (year is None or int(r["year"]) == year):
                return float(r[col])
        raise KeyError((name, col, year))

    # ---- density / rural-urban
    def density_of(self, where: Callable[[str], bool]) -> float:
        pop = sum(float(r["pop_total_mid2018"]) for r in self.density if where(r["lsoa11cd"]))
        area = sum(float(r["area_sqkm"]) for r in self.density if where(r["lsoa11cd"]))
        return pop / area

    def ruc_count(self, where: Callable[[str], bool], field: str, value: str) -> int:
        return sum(1 for r in self.ruc if where(r["lsoa11cd"]) and r[field] == value)


# --------------------------------------------------------------------------- cases

def row(place: str, value: float, decimals: int, category: str | None = None) -> dict[str, Any]:
    if decimals == 0 and float(value).is_integer():
        v: float | int = int(value)
    else:
        v = round(float(value), decimals + 2)
    spec: dict[str, Any] = {"place": place, "value": v, "decimals": decimals}
    if category is not None:
        spec["category"] = category
    return spec


def answered(*rows: dict[str, Any], top: list[str] | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"status": "answered"}
    if top is not None:
        e["top"] = top
    if rows:
        e["rows"] = list(rows)
    return e


CLARIFY = {"status": "clarify"}
NO_DATA = {"status": "no_data"}


class Suite:
    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.counters: dict[str, int] = defaultdict(int)

    def add(self, intent: str, datasets: list[str], question: str, expect: dict[str, Any],
            note: str, conversation: str | None = None) -> None:
        assert intent in INTENTS, intent
        for d in datasets:
            assert d in DATASET_IDS, d
        self.counters[intent] += 1
        self.cases.append({
            "id": f"{intent}-{self.counters[intent]:03d}",
            "intent": intent,
            "datasets": datasets,
            "question": question,
            "conversation": conversation,
            "expect": expect,
            "note": note,
        })


def ordered(values: dict[str, float], desc: bool = True) -> list[str]:
    return [k for k, _ in sorted(values.items(), key=lambda kv: (-kv[1] if desc else kv[1], kv[0]))]


def build() -> list[dict[str, Any]]:  # noqa: C901 - a long, flat list of cases
    d = Data()
    s = Suite()
    A = s.add
    region = lambda code: True  # noqa: E731 - every LSOA in the files is in LCR

    # ================================================================ value
    A("value", ["population_la"], "what was the population of liverpool in 2020",
      answered(row("Liverpool", d.pop_la_value("Liverpool", 2020), 0)),
      "ONS mid-2020 LA estimate, pop_total for Liverpool in population_la_mid2019_2020.")
    A("value", ["population_la"], "how many folk live in halton in 2019",
      answered(row("Halton", d.pop_la_value("Halton", 2019), 0)),
      "ONS mid-2019 LA estimate for Halton (population_la file).")
    A("value", ["population_la"], "popuation of st. helens 2020",
      answered(row("St Helens", d.pop_la_value("St Helens", 2020), 0)),
      "ONS mid-2020 LA estimate for St. Helens (population_la file).")
    A("value", ["population_lsoa11"], "population of knowsly in 2017",
      answered(row("Knowsley", d.pop_sum(2017, d.in11("Knowsley")), 0)),
      "Sum of pop_total over Knowsley LSOAs (2011) for year 2017.")
    A("value", ["population_lsoa11"], "how many people lived in wirrall in 2018",
      answered(row("Wirral", d.pop_sum(2018, d.in11("Wirral")), 0)),
      "Sum of pop_total over Wirral LSOAs for 2018 (mid-2018 totals).")
    A("value", ["population_lsoa11"], "population of the city region in 2019",
      answered(row("City Region", d.pop_sum(2019, region), 0)),
      "Sum of pop_total over all 989 LCR LSOAs for 2019 (SOURCES.md: 1,559,320).")
    A("value", ["population_lsoa11"], "how many people live in everton",
      answered(row("Everton", d.pop_sum(2020, d.in11("Liverpool", "Everton")), 0)),
      "Everton is a Dec-2019 ward only (split in 2024), so the latest year is 2020: sum of "
      "pop_total 2020 over LSOAs mapped to wd19 Everton.")
    A("value", ["population_lsoa11"], "population of kirkdale ward in 2018",
      answered(row("Kirkdale", d.pop_sum(2018, d.in11("Liverpool", "Kirkdale")), 0)),
      "Sum of pop_total 2018 over LSOAs in wd19 Kirkdale (Liverpool) via lookup_lsoa11_ward19.")
    A("value", ["census2021_la"], "how many people live in knowsley",
      answered(row("Knowsley", int(d.census_la_row("Knowsley")["usual_residents_ts009"]), 0)),
      "No year: latest is Census 2021; usual_residents_ts009 for Knowsley.")
    A("value", ["census2021_la"], "census 2021 population of sefton",
      answered(row("Sefton", int(d.census_la_row("Sefton")["usual_residents_ts009"]), 0)),
      "usual_residents_ts009 for Sefton in census2021_population_age6_la.")
    A("value", ["census2021_lsoa21"], "how many people live in the city region",
      answered(row("City Region", d.census_sum("age6__total_usual_residents", region), 0)),
      "No year: Census 2021; sum of age6__total_usual_residents over all 1,003 LCR LSOAs (2021).")
    A("value", ["census2021_lsoa21"], "population of anfield",
      answered(row("Anfield", d.census_sum("age6__total_usual_residents", d.in21("Liverpool", "Anfield")), 0)),
      "Anfield exists as a May-2024 ward, so latest is Census 2021: sum of "
      "age6__total_usual_residents over LSOAs (2021) in wd24 Anfield.")
    A("value", ["census2021_lsoa21"], "what share of households in liverpool are privately rented",
      answered(row("Liverpool", d.census_share(
          ["ts054_tenure__private_rented_other_private_rented",
           "ts054_tenure__private_rented_private_landlord_or_letting_agency"],
          "ts054_tenure__total", d.in21("Liverpool")), 1)),
      "Sum of the two ts054 private_rented columns / sum of ts054_tenure__total over Liverpool "
      "LSOAs * 100.")
    A("value", ["census2021_lsoa21"], "how many disabled people in wirral census 2021",
      answered(row("Wirral", d.census_sum("ts038_disability__disabled_under_the_equality_act", d.in21("Wirral")), 0)),
      "Sum of ts038_disability__disabled_under_the_equality_act over Wirral LSOAs.")
    A("value", ["census2021_lsoa21"], "percentage of households overcrowded in knowsley",
      answered(row("Knowsley", d.census_share(
          ["ts052_bedroom_occupancy__minus1_overcrowded",
           "ts052_bedroom_occupancy__minus2_or_less_overcrowded"],
          "ts052_bedroom_occupancy__total", d.in21("Knowsley")), 1)),
      "(minus1_overcrowded + minus2_or_less_overcrowded) / ts052 total * 100 over Knowsley LSOAs.")
    A("value", ["census2021_lsoa21"], "what percent of households in st helens are social rented",
      answered(row("St Helens", d.census_share(
          ["ts054_tenure__social_rented_other_social_rented",
           "ts054_tenure__social_rented_rents_from_council_or_local_authority"],
          "ts054_tenure__total", d.in21("St Helens")), 1)),
      "Sum of the two ts054 social_rented columns / ts054 total * 100 over St Helens LSOAs.")
    A("value", ["iod2025_la"], "deprivation score for liverpool",
      answered(row("Liverpool", d.la25("Liverpool", "imd_average_score"), 3)),
      "No year: IoD2025; imd_average_score for Liverpool in iod2025_la_summary_imd.")
    A("value", ["iod2025_la"], "where does sefton rank nationally for deprivation",
      answered(row("Sefton", d.la25("Sefton", "imd_rank_of_average_score"), 0)),
      "IoD2025 imd_rank_of_average_score for Sefton (1 = most deprived).")
    A("value", ["iod2019_la"], "imd score knowsley 2019",
      answered(row("Knowsley", d.la19("Knowsley", "imd_average_score"), 3)),
      "IoD2019 File 10 imd_average_score for Knowsley.")
    A("value", ["iod2019_la"], "income deprivation rate in halton in 2019",
      answered(row("Halton", d.la19("Halton", "income_average_score") * 100, 1)),
      "IoD2019 File 10 income_average_score (a rate 0-1) for Halton, shown as percent.")
    A("value", ["iod2025_lsoa21"], "how deprived is anfield ward",
      answered(row("Anfield", d.imd25(d.in21("Liverpool", "Anfield")), 3)),
      "IoD2025 population-weighted mean of imd_score (weights pop_total_mid2022) over LSOAs "
      "(2021) in wd24 Anfield.")
    A("value", ["iod2019_lsoa11"], "imd score for everton in 2019",
      answered(row("Everton", d.imd19(d.in11("Liverpool", "Everton")), 3)),
      "IoD2019 population-weighted mean of imd_score (weights pop_total_mid2015) over LSOAs in "
      "wd19 Everton.")
    A("value", ["iod2025_lsoa21"], "average deprivation score for merseyside",
      answered(row("City Region", d.imd25(region), 3)),
      "IoD2025 population-weighted mean imd_score (pop_total_mid2022) over all LCR LSOAs.")
    A("value", ["iod2025_lsoa21"], "income deprivation rate in knowsley",
      answered(row("Knowsley", d.imd25(d.in21("Knowsley"), "income_score_rate") * 100, 1)),
      "IoD2025 population-weighted mean income_score_rate (pop_total_mid2022) over Knowsley "
      "LSOAs, as percent.")
    A("value", ["iod2019_indicators_lsoa11"], "average road distance to a gp surgery in knowsley",
      answered(row("Knowsley", d.gp_road_distance(d.in11("Knowsley")), 1)),
      "IoD2019 underlying indicator road_distance_to_a_gp_surgery_indicator_km, population-"
      "weighted (pop_total_mid2015) mean over Knowsley LSOAs; checked to 1 decimal (km).")
    A("value", ["street_crime_lsoa11"], "how many burglaries in liverpool in october 2019",
      answered(row("Liverpool", d.crimes(d.in11("Liverpool"), "2019-10", "Burglary"), 0)),
      "Sum of crimes for crime_type Burglary, month 2019-10, Liverpool LSOAs.")
    A("value", ["street_crime_lsoa11"], "is crime bad in everton",
      answered(row("Everton", d.crimes(d.in11("Liverpool", "Everton")), 0)),
      "No period: all four months Sep-Dec 2019; sum of crimes over LSOAs in wd19 Everton.")
    A("value", ["street_crime_lsoa11"], "anti social behaviour in sefton in 2019",
      answered(row("Sefton", d.crimes(d.in11("Sefton"), None, "Anti-social behaviour"), 0)),
      "Sum of crimes for Anti-social behaviour over Sefton LSOAs, Sep-Dec 2019.")
    A("value", ["health_index_la"], "health index for liverpool",
      answered(row("Liverpool", d.la_value(d.hi, "ltla21_name", "Liverpool", "overall_score", 2021), 1)),
      "No year: latest 2021; overall_score for Liverpool.")
    A("value", ["health_index_subdomains_la"], "mental health score in knowsley 2021",
      answered(row("Knowsley", d.la_value(d.hi_sub, "ltla21_name", "Knowsley", "mental_health", 2021), 1)),
      "Health Index subdomain mental_health for Knowsley, 2021.")
    A("value", ["health_index_subdomains_la"], "access to green space score for wirral",
      answered(row("Wirral", d.la_value(d.hi_sub, "ltla21_name", "Wirral", "access_to_green_space", 2021), 1)),
      "Health Index subdomain access_to_green_space for Wirral, latest year 2021.")
    A("value", ["homelessness_la"], "households in temporary accommodation per 1000 in liverpool",
      answered(row("Liverpool", d.la_value(d.homeless, "ltla23_name", "Liverpool",
                                         "households_in_temporary_accommodation_per_1000"), 2)),
      "households_in_temporary_accommodation_per_1000 for Liverpool (Oct-Dec 2023).")
    A("value", ["homelessness_la"], "homelessness rate knowsley",
      answered(row("Knowsley", d.la_value(d.homeless, "ltla23_name", "Knowsley",
                                        "households_assessed_homeless_per_1000"), 2)),
      "households_assessed_homeless_per_1000 for Knowsley (Oct-Dec 2023).")
    A("value", ["crime_severity_la"], "crime severity score for halton",
      answered(row("Halton", d.la_value(d.severity, "ltla23_name", "Halton", "crime_severity_score"), 2)),
      "crime_severity_score for Halton (2022/23).")
    A("value", ["gp_workforce_la"], "how many patients per gp in wirral",
      answered(row("Wirral", d.la_value(d.gp, "ltla24_name", "Wirral", "patients_per_gp_fte"), 0)),
      "patients_per_gp_fte for Wirral (March 2024) as published.")
    A("value", ["gp_workforce_la"], "how many full time gps are there in st helens",
      answered(row("St Helens", d.la_value(d.gp, "ltla24_name", "St Helens", "gp_fte"), 1)),
      "gp_fte for St. Helens (March 2024).")
    A("value", ["population_density_lsoa11"], "population density of liverpool",
      answered(row("Liverpool", d.density_of(d.in11("Liverpool")), 0)),
      "Mid-2018: sum(pop_total_mid2018) / sum(area_sqkm) over Liverpool LSOAs (people per km2).")

    # ================================================================ comparison
    A("comparison", ["population_la"], "compare the population of liverpool and wirral in 2020",
      answered(row("Liverpool", d.pop_la_value("Liverpool", 2020), 0),
               row("Wirral", d.pop_la_value("Wirral", 2020), 0)),
      "Mid-2020 LA estimates for Liverpool and Wirral.")
    A("comparison", ["iod2025_la"], "is knowsley more deprived than halton",
      answered(row("Knowsley", d.la25("Knowsley", "imd_average_score"), 3),
               row("Halton", d.la25("Halton", "imd_average_score"), 3)),
      "IoD2025 imd_average_score for Knowsley and Halton.")
    A("comparison", ["iod2025_la"], "how poor is knowsley compared with england",
      answered(row("Knowsley", d.la25("Knowsley", "imd_average_score"), 3)),
      "IoD2025 imd_average_score for Knowsley (the commons has no England average score; a "
      "fair answer gives Knowsley's score and national rank).")
    A("comparison", ["gp_workforce_la"], "patients per gp in halton vs england",
      answered(row("Halton", d.la_value(d.gp, "ltla24_name", "Halton", "patients_per_gp_fte"), 0),
               row("England", d.la_value(d.gp, "ltla24_name", "England", "patients_per_gp_fte"), 0)),
      "patients_per_gp_fte for Halton and for the England row as published.")
    A("comparison", ["census2021_la"], "population of sefton compared to england census",
      answered(row("Sefton", int(d.census_la_row("Sefton")["usual_residents_ts009"]), 0),
               row("England", int(d.census_la_row("England")["usual_residents_ts009"]), 0)),
      "Census 2021 usual_residents_ts009 for Sefton and the England row.")
    A("comparison", ["iod2025_lsoa21", "iod2025_la"], "how does anfield compare with liverpool on deprivation",
      answered(row("Anfield", d.imd25(d.in21("Liverpool", "Anfield")), 3),
               row("Liverpool", d.la25("Liverpool", "imd_average_score"), 3)),
      "IoD2025: Anfield (wd24) pop-weighted mean imd_score (pop_total_mid2022); Liverpool as "
      "published imd_average_score.")
    A("comparison", ["street_crime_lsoa11"], "crime in knowsley vs st helens",
      answered(row("Knowsley", d.crimes(d.in11("Knowsley")), 0),
               row("St Helens", d.crimes(d.in11("St Helens")), 0)),
      "Sum of crimes Sep-Dec 2019 over Knowsley LSOAs and over St Helens LSOAs.")
    A("comparison", ["health_index_la"], "health index sefton compared with liverpool",
      answered(row("Sefton", d.la_value(d.hi, "ltla21_name", "Sefton", "overall_score", 2021), 1),
               row("Liverpool", d.la_value(d.hi, "ltla21_name", "Liverpool", "overall_score", 2021), 1)),
      "Health Index overall_score 2021 for Sefton and Liverpool.")
    A("comparison", ["population_la"], "how does the number of over 65s in wirral compare with england in 2019",
      answered(row("Wirral", d.pop_la_value("Wirral", 2019, "pop_65plus"), 0),
               row("England", d.pop_la_value("England", 2019, "pop_65plus"), 0)),
      "pop_65plus mid-2019 for Wirral and England in population_la.")
    A("comparison", ["crime_severity_la"], "crime severity liverpool v sefton",
      answered(row("Liverpool", d.la_value(d.severity, "ltla23_name", "Liverpool", "crime_severity_score"), 2),
               row("Sefton", d.la_value(d.severity, "ltla23_name", "Sefton", "crime_severity_score"), 2)),
      "crime_severity_score 2022/23 for Liverpool and Sefton.")

    # ================================================================ ranking
    sev = {c: d.la_value(d.severity, "ltla23_name", c, "crime_severity_score") for c in COUNCILS}
    top = ordered(sev)[:3]
    A("ranking", ["crime_severity_la"], "which council has the highest crime severity",
      answered(*[row(c, sev[c], 2) for c in top[:1]], top=top),
      "Six councils ordered by crime_severity_score, descending; first three checked.")
    imd25_la = {c: d.la25(c, "imd_average_score") for c in COUNCILS}
    top = ordered(imd25_la)[:2]
    A("ranking", ["iod2025_la"], "most deprived council in the city region",
      answered(row(top[0], imd25_la[top[0]], 3), top=top),
      "Councils ordered by IoD2025 imd_average_score, descending.")
    imd19_la = {c: d.la19(c, "imd_average_score") for c in COUNCILS}
    top = ordered(imd19_la)[:2]
    A("ranking", ["iod2019_la"], "which council was the most deprived in 2019",
      answered(row(top[0], imd19_la[top[0]], 3), top=top),
      "Councils ordered by IoD2019 imd_average_score, descending.")
    hi21 = {c: d.la_value(d.hi, "ltla21_name", c, "overall_score", 2021) for c in COUNCILS}
    top = ordered(hi21, desc=False)[:2]
    A("ranking", ["health_index_la"], "which council has the worst health index",
      answered(row(top[0], hi21[top[0]], 1), top=top),
      "Councils ordered by Health Index overall_score 2021, ascending (higher is healthier).")
    hom = {c: d.la_value(d.homeless, "ltla23_name", c, "households_assessed_homeless_per_1000") for c in COUNCILS}
    top = ordered(hom)[:2]
    A("ranking", ["homelessness_la"], "where is homelessness highest in the city region",
      answered(row(top[0], hom[top[0]], 2), top=top),
      "Councils ordered by households_assessed_homeless_per_1000, descending.")
    gpr = {c: d.la_value(d.gp, "ltla24_name", c, "patients_per_gp_fte") for c in COUNCILS}
    top = ordered(gpr)[:3]
    A("ranking", ["gp_workforce_la"], "which council has the most patients per gp",
      answered(row(top[0], gpr[top[0]], 0), top=top),
      "Councils ordered by patients_per_gp_fte, descending (England row excluded).")
    cen = {c: int(d.census_la_row(c)["usual_residents_ts009"]) for c in COUNCILS}
    top = ordered(cen)[:3]
    A("ranking", ["census2021_la"], "biggest council by population",
      answered(row(top[0], cen[top[0]], 0), top=top),
      "Councils ordered by Census 2021 usual_residents_ts009, descending.")
    wards = d.crime_by_ward("Liverpool")
    top = ordered(wards)[:1]
    A("ranking", ["street_crime_lsoa11"], "which ward in liverpool has the most crime",
      answered(row(top[0], wards[top[0]], 0), top=top),
      "Liverpool wd19 wards ordered by sum of crimes Sep-Dec 2019, descending.")
    kw = {w: d.imd25(d.in21("Knowsley", w)) for w in sorted({w for w, c in d.lk24.values() if c == "Knowsley"})}
    top = ordered(kw)[:3]
    A("ranking", ["iod2025_lsoa21"], "top 3 most deprived wards in knowsley",
      answered(*[row(w, kw[w], 3) for w in top], top=top),
      "Knowsley wd24 wards ordered by IoD2025 pop-weighted mean imd_score (pop_total_mid2022).")
    sl = {r["lsoa21nm"]: float(r["imd_score"]) for r in d.iod25 if la(r["lad24nm"]) == "Sefton"}
    top = ordered(sl)[:1]
    A("ranking", ["iod2025_lsoa21"], "most deprived neighbourhood in sefton",
      answered(row(top[0], sl[top[0]], 3), top=top),
      "Sefton LSOAs (2021) ordered by IoD2025 imd_score, descending.")
    dens = {c: d.density_of(d.in11(c)) for c in COUNCILS}
    top = ordered(dens)[:2]
    A("ranking", ["population_density_lsoa11"], "which council is the most densely populated",
      answered(row(top[0], dens[top[0]], 0), top=top),
      "Councils ordered by mid-2018 sum(pop)/sum(area_sqkm), descending.")
    hs = {c: d.la_value(d.hi_sub, "ltla21_name", c, "mortality", 2021) for c in COUNCILS}
    top = ordered(hs, desc=False)[:2]
    A("ranking", ["health_index_subdomains_la"], "which council scores lowest on mortality in the health index",
      answered(row(top[0], hs[top[0]], 1), top=top),
      "Councils ordered by Health Index subdomain mortality 2021, ascending.")

    # ================================================================ trend
    for c in COUNCILS:  # the LA file equals the LSOA sums (SOURCES.md check)
        for y in (2019, 2020):
            assert d.pop_la_value(c, y) == d.pop_sum(y, d.in11(c)), (c, y)
        r = d.census_la_row(c)
        for col, cat in (("age6__aged_16_to_24_years", "lsoa_sum_age_16_24"),
                         ("age6__aged_65_years_and_over", "lsoa_sum_age_65plus")):
            assert int(r[cat]) == d.census_sum(col, d.in21(c)), (c, col)
    A("trend", ["population_lsoa11", "population_la"], "how has liverpool's population changed from 2017 to 2020",
      answered(*[row("Liverpool", d.pop_sum(y, d.in11("Liverpool")), 0, str(y)) for y in (2017, 2018, 2019, 2020)]),
      "Liverpool LSOA sums for 2017-2018 and LA estimates for 2019-2020 (they agree).")
    A("trend", ["population_lsoa11", "population_la"], "popuation trend for halton",
      answered(*[row("Halton", d.pop_sum(y, d.in11("Halton")), 0, str(y)) for y in (2017, 2018, 2019, 2020)]),
      "Halton mid-year estimates 2017-2020 (sum of LSOAs; 2019/2020 equal the LA file).")
    A("trend", ["health_index_la"], "health index for knowsley over time",
      answered(*[row("Knowsley", d.la_value(d.hi, "ltla21_name", "Knowsley", "overall_score", y), 1, str(y))
                 for y in (2015, 2018, 2021)]),
      "Health Index overall_score for Knowsley, 2015-2021 (three years checked).")
    A("trend", ["health_index_subdomains_la"], "has mental health got worse in liverpool since 2015",
      answered(*[row("Liverpool", d.la_value(d.hi_sub, "ltla21_name", "Liverpool", "mental_health", y), 1, str(y))
                 for y in (2015, 2021)]),
      "Health Index subdomain mental_health for Liverpool, 2015 and 2021 checked.")
    A("trend", ["street_crime_lsoa11"], "crime in wirral month by month",
      answered(*[row("Wirral", d.crimes(d.in11("Wirral"), m), 0, m) for m in MONTHS]),
      "Sum of crimes per month 2019-09..2019-12 over Wirral LSOAs.")
    A("trend", ["street_crime_lsoa11"], "how did burglary in sefton change each month in 2019",
      answered(*[row("Sefton", d.crimes(d.in11("Sefton"), m, "Burglary"), 0, m) for m in MONTHS]),
      "Sum of Burglary crimes per month Sep-Dec 2019 over Sefton LSOAs.")
    A("trend", ["population_lsoa11"], "how has the population of the city region changed since 2017",
      answered(*[row("City Region", d.pop_sum(y, region), 0, str(y)) for y in (2017, 2020)]),
      "Sum of pop_total over all LCR LSOAs; 2017 and 2020 checked.")

    # ================================================================ breakdown
    A("breakdown", ["population_la"], "population of each council in 2020",
      answered(*[row(c, d.pop_la_value(c, 2020), 0) for c in COUNCILS]),
      "Mid-2020 LA estimates for all six councils.")
    A("breakdown", ["street_crime_lsoa11"], "crime by type in knowsley",
      answered(*[row("Knowsley", d.crimes(d.in11("Knowsley"), None, t), 0, t)
                 for t in ("Anti-social behaviour", "Violence and sexual offences", "Burglary", "Shoplifting")]),
      "Sum of crimes by crime_type over Knowsley LSOAs, Sep-Dec 2019 (four types checked).")
    A("breakdown", ["population_la"], "population by age in sefton 2019",
      answered(*[row("Sefton", d.pop_la_value("Sefton", 2019, col), 0, cat)
                 for col, cat in (("pop_0_15", "0-15"), ("pop_16_64", "16-64"), ("pop_65plus", "65"))]),
      "Mid-2019 LA age bands pop_0_15, pop_16_64, pop_65plus for Sefton.")
    bands = (("age6__aged_16_to_24_years", "16-24"), ("age6__aged_25_to_34_years", "25-34"),
             ("age6__aged_65_years_and_over", "65"))
    A("breakdown", ["census2021_lsoa21", "census2021_la"], "age breakdown for wirral from the census",
      answered(*[row("Wirral", d.census_sum(col, d.in21("Wirral")), 0, cat) for col, cat in bands]),
      "Census 2021 age6 bands summed over Wirral LSOAs (equal to the LA file's lsoa_sum_age_* "
      "columns); three bands checked.")
    A("breakdown", ["census2021_lsoa21"], "number of households by tenure in knowsley",
      answered(row("Knowsley", d.census_sum("ts054_tenure__owned_owns_outright", d.in21("Knowsley")), 0, "outright"),
               row("Knowsley", d.census_sum("ts054_tenure__owned_owns_with_a_mortgage_or_loan", d.in21("Knowsley")), 0, "mortgage")),
      "Census 2021 TS054 counts summed over Knowsley LSOAs: owns outright, owns with a mortgage.")
    A("breakdown", ["census2021_lsoa21"], "ethnic groups in liverpool",
      answered(*[row("Liverpool", d.census_sum(col, d.in21("Liverpool")), 0, cat) for col, cat in (
          ("ts021_ethnic_group__white", "White"),
          ("ts021_ethnic_group__asian_asian_british_or_asian_welsh", "Asian"),
          ("ts021_ethnic_group__black_black_british_black_welsh_caribbean_or_african", "Black"))]),
      "Census 2021 TS021 counts summed over Liverpool LSOAs.")
    halton_wards = sorted({w for w, c in d.lk19.values() if c == "Halton"})
    A("breakdown", ["population_lsoa11"], "population of each ward in halton in 2020",
      answered(*[row(w, d.pop_sum(2020, d.in11("Halton", w)), 0) for w in halton_wards[:4]]),
      "Sum of pop_total 2020 over LSOAs per wd19 Halton ward (first four wards alphabetically checked).")
    A("breakdown", ["street_crime_lsoa11"], "crime in each council in december 2019",
      answered(*[row(c, d.crimes(d.in11(c), "2019-12"), 0) for c in COUNCILS if c != "Halton"]),
      "Sum of crimes in 2019-12 per council (Halton has no street crime data).")
    A("breakdown", ["iod2025_la"], "deprivation score for every council",
      answered(*[row(c, d.la25(c, "imd_average_score"), 3) for c in COUNCILS]),
      "IoD2025 imd_average_score for all six councils.")
    A("breakdown", ["rural_urban_lsoa11"], "rural urban split of neighbourhoods in st helens",
      answered(*[row("St Helens", d.ruc_count(d.in11("St Helens"), "ruc11nm", k), 0, k)
                 for k in sorted({r["ruc11nm"] for r in d.ruc if d.lk19[r["lsoa11cd"]][1] == "St Helens"})]),
      "Count of St Helens LSOAs (2011) by ruc11nm.")
    A("breakdown", ["health_index_la"], "health index domains for halton",
      answered(*[row("Halton", d.la_value(d.hi, "ltla21_name", "Halton", col, 2021), 1, cat) for col, cat in (
          ("healthy_people_domain_score", "People"), ("healthy_lives_domain_score", "Lives"),
          ("healthy_places_domain_score", "Places"))]),
      "Health Index 2021 domain scores (Healthy People / Lives / Places) for Halton.")

    # ================================================================ summary
    for q, c in (("give me a summary of knowsley", "Knowsley"),
                 ("tell me about st. helens", "St Helens"),
                 ("area profile for wirral for a funding bid", "Wirral")):
        A("summary", ["census2021_la", "iod2025_la"], q,
          answered(row(c, int(d.census_la_row(c)["usual_residents_ts009"]), 0),
                   row(c, d.la25(c, "imd_average_score"), 3)),
          f"Profile rows: Census 2021 usual_residents_ts009 and IoD2025 imd_average_score for {c}.")

    # ================================================================ count
    A("count", ["iod2025_lsoa21"], "how many lsoas in knowsley are in the most deprived 10%",
      answered(row("Knowsley", d.decile1_25(d.in21("Knowsley")), 0)),
      "IoD2025: count of Knowsley LSOAs (2021) with imd_decile = 1.")
    A("count", ["iod2019_lsoa11"], "how many neighbourhoods in liverpool were in the most deprived decile in 2019",
      answered(row("Liverpool", d.decile1_19(d.in11("Liverpool")), 0)),
      "IoD2019: count of Liverpool LSOAs (2011) with imd_decile = 1 (SOURCES.md: 145).")
    A("count", ["iod2025_lsoa21"], "how many areas in the city region are in the most deprived 10 percent",
      answered(row("City Region", d.decile1_25(region), 0)),
      "IoD2025: count of all LCR LSOAs with imd_decile = 1.")
    A("count", ["rural_urban_lsoa11"], "how many rural lsoas are there in wirral",
      answered(row("Wirral", d.ruc_count(d.in11("Wirral"), "urban_rural", "Rural"), 0)),
      "Count of Wirral LSOAs (2011) with urban_rural = Rural.")
    A("count", ["iod2019_lsoa11"], "number of lsoas in sefton in the most deprived 10% in 2019",
      answered(row("Sefton", d.decile1_19(d.in11("Sefton")), 0)),
      "IoD2019: count of Sefton LSOAs with imd_decile = 1.")
    A("count", ["rural_urban_lsoa11"], "how many lsoas in the city region are urban conurbation",
      answered(row("City Region", d.ruc_count(region, "ruc11nm", "Urban conurbation"), 0)),
      "Count of LCR LSOAs with ruc11nm = Urban conurbation (SOURCES.md: 816).")

    # ================================================================ clarify
    A("clarify", ["census2021_lsoa21"], "whats the population of church ward",
      CLARIFY, "Church ward exists in both Liverpool and Sefton.")
    A("clarify", ["population_lsoa11"], "how many people lived in riverside in 2019",
      CLARIFY, "Riverside (Dec 2019 ward) exists in both Liverpool and Halton.")
    A("clarify", ["iod2025_lsoa21"], "how deprived is st michaels",
      CLARIFY, "St Michaels (May 2024 ward) exists in both Knowsley and Liverpool.")
    A("clarify", ["street_crime_lsoa11"], "crime in church ward",
      CLARIFY, "Church ward (2019) exists in both Liverpool and Sefton.")
    A("clarify", ["iod2019_lsoa11"], "imd score for riverside ward 2019",
      CLARIFY, "Riverside (Dec 2019 ward) exists in both Liverpool and Halton.")

    # ================================================================ no_data
    for q, why in (
        ("population of manchester", "Manchester is outside the Liverpool City Region."),
        ("how deprived is leeds", "Leeds is outside the Liverpool City Region."),
        ("crime in cardiff", "Cardiff is outside the commons (and outside England)."),
        ("life expectancy in knowsley", "Life expectancy is not in the commons (SOURCES.md: not found)."),
        ("fuel poverty rate in wirral", "Fuel poverty data is not in the commons."),
        ("broadband speeds in sefton", "Broadband data is not in the commons."),
        ("average house price in liverpool", "House prices are not in the commons."),
        ("air pollution on my street in bootle", "No street-level air pollution data in the commons."),
        ("how many people claim unemployment benefit in halton", "Claimant counts are not in the commons."),
        ("street crime in halton", "Halton is policed by Cheshire; the street crime data excludes it."),
        ("population of liverpool in 2015", "Population estimates cover 2017-2020 and Census 2021 only."),
    ):
        A("no_data", [], q, NO_DATA, why)

    # ================================================================ conversations
    conv = "conv-everton-population"
    A("value", ["population_lsoa11"], "population of everton in 2019",
      answered(row("Everton", d.pop_sum(2019, d.in11("Liverpool", "Everton")), 0)),
      "Sum of pop_total 2019 over wd19 Everton LSOAs.", conv)
    A("value", ["population_lsoa11"], "and in 2020?",
      answered(row("Everton", d.pop_sum(2020, d.in11("Liverpool", "Everton")), 0)),
      "Follow-up: same place, 2020.", conv)
    A("value", ["population_lsoa11"], "what about anfield",
      answered(row("Anfield", d.pop_sum(2020, d.in11("Liverpool", "Anfield")), 0)),
      "Follow-up: same measure and year (2020), wd19 Anfield.", conv)

    conv = "conv-council-population-2019"
    A("value", ["population_la"], "how many people live in knowsley in 2019",
      answered(row("Knowsley", d.pop_la_value("Knowsley", 2019), 0)),
      "Mid-2019 LA estimate for Knowsley.", conv)
    A("value", ["population_la"], "what about wirrall",
      answered(row("Wirral", d.pop_la_value("Wirral", 2019), 0)),
      "Follow-up: Wirral, 2019.", conv)
    A("value", ["population_la"], "and for sefton?",
      answered(row("Sefton", d.pop_la_value("Sefton", 2019), 0)),
      "Follow-up: Sefton, 2019.", conv)

    conv = "conv-liverpool-crime-months"
    A("value", ["street_crime_lsoa11"], "crime in liverpool in october 2019",
      answered(row("Liverpool", d.crimes(d.in11("Liverpool"), "2019-10"), 0)),
      "Sum of crimes 2019-10 over Liverpool LSOAs.", conv)
    A("value", ["street_crime_lsoa11"], "and november?",
      answered(row("Liverpool", d.crimes(d.in11("Liverpool"), "2019-11"), 0)),
      "Follow-up: 2019-11.", conv)
    A("value", ["street_crime_lsoa11"], "what about sefton",
      answered(row("Sefton", d.crimes(d.in11("Sefton"), "2019-11"), 0)),
      "Follow-up: Sefton, 2019-11 carried over.", conv)

    conv = "conv-halton-health"
    A("value", ["health_index_la"], "health index score for halton",
      answered(row("Halton", d.la_value(d.hi, "ltla21_name", "Halton", "overall_score", 2021), 1)),
      "Health Index overall_score, latest year 2021, Halton.", conv)
    A("value", ["health_index_la"], "and in 2015?",
      answered(row("Halton", d.la_value(d.hi, "ltla21_name", "Halton", "overall_score", 2015), 1)),
      "Follow-up: 2015.", conv)

    conv = "conv-liverpool-imd"
    A("value", ["iod2025_la"], "liverpool imd score",
      answered(row("Liverpool", d.la25("Liverpool", "imd_average_score"), 3)),
      "IoD2025 imd_average_score for Liverpool.", conv)
    A("value", ["iod2019_la"], "and in 2019",
      answered(row("Liverpool", d.la19("Liverpool", "imd_average_score"), 3)),
      "Follow-up: IoD2019 imd_average_score for Liverpool.", conv)
    A("value", ["iod2019_la"], "what about knowsly",
      answered(row("Knowsley", d.la19("Knowsley", "imd_average_score"), 3)),
      "Follow-up: IoD2019 carried over, Knowsley.", conv)

    conv = "conv-decile-counts"
    A("count", ["iod2025_lsoa21"], "how many lsoas in knowsley are in the most deprived decile",
      answered(row("Knowsley", d.decile1_25(d.in21("Knowsley")), 0)),
      "IoD2025 count of Knowsley LSOAs with imd_decile = 1.", conv)
    A("count", ["iod2025_lsoa21"], "and in liverpool?",
      answered(row("Liverpool", d.decile1_25(d.in21("Liverpool")), 0)),
      "Follow-up: IoD2025 count for Liverpool.", conv)

    conv = "conv-church-clarify"
    A("clarify", ["census2021_lsoa21"], "population of church ward",
      CLARIFY, "Church ward is in Liverpool and Sefton.", conv)
    A("value", ["census2021_lsoa21"], "the one in sefton",
      answered(row("Church", d.census_sum("age6__total_usual_residents", d.in21("Sefton", "Church")), 0)),
      "After clarification: Church (Sefton, wd24), Census 2021 sum of usual residents over its "
      "LSOAs (2021).", conv)

    conv = "conv-st-helens-crime"
    A("value", ["street_crime_lsoa11"], "how much violent crime in st helens",
      answered(row("St Helens", d.crimes(d.in11("St Helens"), None, "Violence and sexual offences"), 0)),
      "Sum of Violence and sexual offences crimes Sep-Dec 2019 over St Helens LSOAs.", conv)
    A("breakdown", ["street_crime_lsoa11"], "break that down by month",
      answered(*[row("St Helens", d.crimes(d.in11("St Helens"), m, "Violence and sexual offences"), 0, m)
                 for m in MONTHS]),
      "Follow-up: same crime type per month.", conv)

    return s.cases


def write(path: Path) -> int:
    cases = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    return len(cases)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    n = write(args.out)
    print(f"wrote {n} cases to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build the analysts' suite: eval/suites/analysts.jsonl (issue 15).

Maps, two measures side by side with their correlation, area stories, and (asked anonymously,
so refused) the person-level forms, each asked in plain words; every expected figure is computed here from the raw CSVs in data/raw/ with pandas,
independently of the product (its own joins, its own correlation, its own counts).  Cases the
product must decline (a map split by category, a map of two places, a relation with a word it
cannot apply) are here too: giving a figure for them counts as a wrong number.

    .venv/bin/python eval/build_analysts_suite.py      # writes the same bytes every time
    .venv/bin/commons eval --suite analysts --json
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "eval" / "suites" / "analysts.jsonl"


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name)


IOD25 = _csv("iod2025_lsoa21_lcr.csv")
IOD25_LA = _csv("iod2025_la_summary_imd_lcr.csv")
IOD19 = _csv("iod2019_lsoa11_lcr.csv")
HOMELESS = _csv("homelessness_la_2023q4_lcr.csv")
SEVERITY = _csv("crime_severity_score_la_2022_23_lcr.csv")
CRIME = _csv("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
POP_DENS = _csv("population_density_lsoa11_mid2018_lcr.csv")


def r2(x: pd.Series, y: pd.Series) -> str:
    return f"r = {x.corr(y, method='pearson'):.2f}"


def case(cid: str, intent: str, question: str, expect: dict, note: str, datasets: list[str],
         conversation: str | None = None) -> dict:
    return {"id": cid, "intent": intent, "datasets": datasets, "question": question, "conversation": conversation,
            "expect": expect, "note": note}


def maps() -> list[dict]:
    out = []
    liv = IOD25[IOD25.lad24nm == "Liverpool"].sort_values("imd_score", ascending=False)
    top = liv.iloc[0]
    out.append(case("map-001", "map", "Show me a map of deprivation in Liverpool",
                    {"status": "answered", "chart_mark": "geoshape", "answer_has": ["darker = more deprived"],
                     "rows": [{"place": top.lsoa21nm, "value": round(float(top.imd_score), 3), "decimals": 3}]},
                    f"IoD2025 File 7: the most deprived of Liverpool's {len(liv)} LSOAs (2021) by IMD score.",
                    ["iod2025_lsoa21"]))
    kn = IOD25[IOD25.lad24nm == "Knowsley"]
    w = kn.groupby("wd24nm").apply(lambda g: (g.imd_score * g.pop_total_mid2022).sum() / g.pop_total_mid2022.sum(),
                                   include_groups=False).sort_values(ascending=False)
    out.append(case("map-002", "map", "map of deprivation by ward in Knowsley",
                    {"status": "answered", "chart_mark": "geoshape", "answer_has": ["ward outlines are approximate"],
                     "rows": [{"place": w.index[0], "value": round(float(w.iloc[0]), 3), "decimals": 3}]},
                    "Population-weighted mean IMD score (mid-2022 denominators) over each May 2024 ward's LSOAs.",
                    ["iod2025_lsoa21"]))
    ha = IOD25[IOD25.lad24nm == "Halton"].sort_values(["imd_decile", "lsoa21nm"])
    out.append(case("map-003", "map", "map of the imd decile in Halton",
                    {"status": "answered", "chart_mark": "geoshape",
                     "rows": [{"place": ha.iloc[-1].lsoa21nm, "value": int(ha.iloc[-1].imd_decile), "decimals": 0}]},
                    "IMD deciles of Halton's LSOAs: the scale is reversed, decile 1 darkest.", ["iod2025_lsoa21"]))
    wi = POP_DENS[POP_DENS.lad19nm == "Wirral"]
    top = wi.sort_values("people_per_sqkm", ascending=False).iloc[0]
    out.append(case("map-004", "map", "population density map of Wirral",
                    {"status": "answered", "chart_mark": "geoshape",
                     "rows": [{"place": top.lsoa11nm, "value": round(float(top.people_per_sqkm)), "decimals": 0}]},
                    "Mid-2018 population density of Wirral's LSOAs (2011), the densest first.",
                    ["population_density_lsoa11"]))
    h = HOMELESS.sort_values("households_assessed_homeless_per_1000", ascending=False).iloc[0]
    out.append(case("map-005", "map", "map of homelessness in the city region",
                    {"status": "answered", "chart_mark": "geoshape",
                     "rows": [{"place": h.ltla23_name, "value": float(h.households_assessed_homeless_per_1000),
                               "decimals": 2}]},
                    "Households assessed as homeless per 1,000, by council (held for councils only).",
                    ["homelessness_la"]))
    out.append(case("map-006", "map", "map of crime by type in Sefton", {"status": "declined"},
                    "A map shades areas by one figure: split by category as well is declined.", ["street_crime_lsoa11"]))
    out.append(case("map-007", "map", "map of deprivation in Liverpool and Knowsley", {"status": "declined"},
                    "One map per place: two places are declined, not drawn as one.", ["iod2025_lsoa21"]))
    w19 = IOD25[IOD25.lad24nm == "Liverpool"]
    ww = w19.groupby("wd24nm").apply(lambda g: (g.imd_score * g.pop_total_mid2022).sum() / g.pop_total_mid2022.sum(),
                                     include_groups=False).sort_values(ascending=False)
    out.append(case("map-008", "map", "most deprived wards in Liverpool", {"status": "answered",
                    "rows": [{"place": ww.index[0], "value": round(float(ww.iloc[0]), 3), "decimals": 3}]},
                    "First turn of a follow-up: the wards as a ranking.", ["iod2025_lsoa21"], conversation="map-follow"))
    out.append(case("map-009", "map", "show that on a map", {"status": "answered", "chart_mark": "geoshape",
                    "answer_has": ["by ward, as a map"],
                    "rows": [{"place": ww.index[0], "value": round(float(ww.iloc[0]), 3), "decimals": 3}]},
                    "The same wards, drawn as a map.", ["iod2025_lsoa21"], conversation="map-follow"))
    return out


def relations() -> list[dict]:
    out = []
    la = IOD25_LA.merge(HOMELESS, left_on="lad24cd", right_on="ltla23_code")
    kn = la[la.lad24nm == "Knowsley"].iloc[0]
    out.append(case("rel-001", "relation", "deprivation and homelessness by council",
                    {"status": "answered", "chart_mark": "point",
                     "answer_has": [r2(la.imd_average_score, la.households_assessed_homeless_per_1000), "6 councils",
                                    "areas are not people"],
                     "rows": [{"place": "Knowsley", "value": float(kn.households_assessed_homeless_per_1000),
                               "decimals": 2},
                              {"place": "Knowsley", "value": round(float(kn.imd_average_score), 3), "decimals": 3}]},
                    "Pearson r over the six councils: IoD2025 File 10 average score against MHCLG A1 per 1,000.",
                    ["iod2025_la", "homelessness_la"]))
    cs = IOD25_LA.merge(SEVERITY, left_on="lad24cd", right_on="ltla23_code")
    out.append(case("rel-002", "relation", "correlation between deprivation and crime severity by council",
                    {"status": "answered", "chart_mark": "point",
                     "answer_has": [r2(cs.imd_average_score, cs.crime_severity_score)]},
                    "Pearson r over the six councils: IMD average score against the Crime Severity Score.",
                    ["iod2025_la", "crime_severity_la"]))
    crimes = CRIME.groupby("lsoa11cd", as_index=False).crimes.sum()
    liv = IOD19[IOD19.lad19nm == "Liverpool"].merge(crimes, on="lsoa11cd")
    out.append(case("rel-003", "relation", "IMD score and crime by neighbourhood in Liverpool",
                    {"status": "answered", "chart_mark": "point",
                     "answer_has": [r2(liv.imd_score, liv.crimes), f"{len(liv)} neighbourhoods"]},
                    "IoD2019 (LSOA 2011, the crime data's boundaries) against street crime September to December "
                    "2019 summed per LSOA, over Liverpool's LSOAs that have both.", ["iod2019_lsoa11", "street_crime_lsoa11"]))
    out.append(case("rel-004", "relation", "correlation between deprivation and crime severity by council in 2030",
                    {"status": "declined"}, "A period the commons does not hold.", ["iod2025_la", "crime_severity_la"]))
    out.append(case("rel-005", "relation", "relationship between deprivation and homelessness among pensioners by council",
                    {"status": "declined"}, "A sub-group the council figures are not split by.",
                    ["iod2025_la", "homelessness_la"]))
    return out


def stories() -> list[dict]:
    out = []
    kn = IOD25[IOD25.lad24nm == "Knowsley"]
    n, total = int((kn.imd_decile == 1).sum()), len(kn)
    rank = int(IOD25_LA[IOD25_LA.lad24nm == "Knowsley"].imd_rank_of_average_score.iloc[0])
    tenths = round(n / total * 10)
    out.append(case("story-001", "story", "Tell me about Knowsley for a funding bid",
                    {"status": "answered", "answer_has": [f"about {tenths} in 10 of knowsley's neighbourhoods ({n} of {total})",
                                                          f"{rank}th most deprived council"]},
                    "IoD2025: LSOAs in national decile 1 of all Knowsley LSOAs; File 10 rank of average score.",
                    ["iod2025_lsoa21", "iod2025_la"]))
    n, total = int((IOD25.imd_decile == 1).sum()), len(IOD25)
    out.append(case("story-002", "story", "give me a summary of the city region",
                    {"status": "answered", "answer_has": [f"({n} of {total})"]},
                    "IoD2025: LSOAs of the city region in national decile 1.", ["iod2025_lsoa21"]))
    row = IOD25[IOD25.lsoa21nm == "Liverpool 060C"].iloc[0]
    out.append(case("story-003", "story", "summary of Liverpool 060C",
                    {"status": "answered", "answer_has": [f"in decile {int(row.imd_decile)} of 10"]},
                    "IoD2025 decile of one LSOA, said in words.", ["iod2025_lsoa21"]))
    return out


def person_level() -> list[dict]:
    """Asked anonymously (as the suite asks), person-level forms are refused: the figures are in
    tests/test_analysts.py, asked by a signed-in requester within an approved project."""
    return [case("who-001", "who_missing", "how representative is the lupus commons of Knowsley?",
                 {"status": "refused"}, "Person-level data: answered only within an approved project.",
                 ["lupus_commons", "census2021_la"]),
            case("within-001", "within", "VCSE beneficiaries in the most deprived 10% of neighbourhoods",
                 {"status": "refused"}, "Contributed person-level data: answered only within an approved project "
                 "(and never as a count of areas).", ["vcse_coop", "iod2025_lsoa21"]),
            # benchmarking against peers: the organisation is a signed-in provider's; asked anonymously it is
            # refused with that reason, and a peer named or ranked is declined (tests/test_benchmarking.py asks
            # them as a provider, figures checked with pandas)
            case("bench-001", "benchmark", "how does our organisation compare with similar ones?",
                 {"status": "refused", "answer_has": ["signed-in provider account"]},
                 "Benchmarking needs a signed-in provider account with an organisation.", ["vcse_coop"]),
            case("bench-002", "benchmark", "which organisation supports the most people?",
                 {"status": "no_data", "answer_has": ["peers are never named"]},
                 "Organisations are never ranked or named: declined with the reason.", ["vcse_coop"])]


BANDS = {"16-24": "16_24", "25-34": "25_34", "35-49": "35_49", "50-64": "50_64", "65+": "65plus"}


def _synthetic(kind: str) -> pd.DataFrame:
    """The SYNTHETIC person-level rows as generated (seeded), the same rows the build publishes."""
    import io
    from retrieval import synthetic
    make = synthetic.generate_lupus if kind == "lupus" else synthetic.generate_vcse
    return pd.read_csv(io.BytesIO(make(ROOT / "data")))


def _decile_shares(lad: str | None) -> pd.Series:
    """Census residents aged 16 and over per IMD 2025 decile of their neighbourhood, as a share (%)."""
    census = _csv("census2021_lsoa21_lcr.csv")
    if lad:
        census = census[census.lad24nm == lad]
    c = census.merge(IOD25[["lsoa21cd", "imd_decile"]], on="lsoa21cd")
    adults = (c.age6__total_usual_residents - c.age6__aged_15_years_and_under).groupby(c.imd_decile).sum()
    return adults / adults.sum() * 100


def _raked(rows: pd.DataFrame, lad: str | None) -> tuple[pd.Series, float]:
    """Raking weights per row (an IPF loop of its own) to the census age-band margins of the place's
    residents aged 16 and over and its sex margin (all ages, table TS009); and the Kish sample size."""
    import numpy as np
    la = _csv("census2021_population_age6_la_lcr_england.csv")
    la = la[la.area_name == lad] if lad else la[la.area_code != "E92000001"]
    age = np.array([la[f"lsoa_sum_age_{c}"].sum() for c in BANDS.values()], float)
    sex = np.array([la.females_ts009.sum(), la.males_ts009.sum()], float)
    n = pd.crosstab(rows.age_band, rows.sex).loc[list(BANDS), ["Female", "Male"]].to_numpy(float)
    m = n.copy()
    for _ in range(500):
        m *= (age / age.sum() * n.sum() / m.sum(axis=1))[:, None]
        m *= (sex / sex.sum() * n.sum() / m.sum(axis=0))[None, :]
    w = m / n
    weight = rows.apply(lambda r: w[list(BANDS).index(r.age_band), ["Female", "Male"].index(r.sex)], axis=1)
    return weight, float(weight.sum() ** 2 / (weight ** 2).sum())


def _in(rows: pd.DataFrame, lad: str) -> pd.DataFrame:
    look = _csv("lookup_lsoa21_ward24_lad24_lcr.csv")
    return rows[rows.lsoa21cd.isin(look[look.lad24nm == lad].lsoa21cd)]


def coverage() -> list[dict]:
    """Who is missing, asked by a steward or members' representative of the dataset (no project
    needed for its coverage): the census side of every table from the census CSVs, the raked
    estimates from an IPF of this file's own over the SYNTHETIC rows (the product works from
    released, perturbed and rounded cells, so its raked figures are checked to the nearest whole)."""
    steward = {"role": "steward", "datasets": ["lupus_commons"]}
    member = {"role": "member", "datasets": ["lupus_commons"]}
    lupus, vcse = _synthetic("lupus"), _synthetic("vcse")
    region, kn = _decile_shares(None), _decile_shares("Knowsley")
    out = [case("who-002", "who_missing", "is the lupus commons representative by deprivation?",
                {"status": "answered", "answer_has": ["By deprivation decile", "SYNTHETIC"],
                 "rows": [{"place": "Deprivation decile", "category": "1 (most deprived 10%)",
                           "value": round(float(region[1]), 1), "decimals": 1},
                          {"place": "Deprivation decile", "category": "10 (least deprived 10%)",
                           "value": round(float(region[10]), 1), "decimals": 1}]},
                "Census 2021 residents aged 16+ of the city region's LSOAs in each IMD 2025 decile, as a share.",
                ["lupus_commons", "census2021_lsoa21", "iod2025_lsoa21"]),
           case("who-003", "who_missing", "how representative is the lupus commons of Knowsley?",
                {"status": "answered", "answer_has": ["not given, because every crossed age band x sex cell"],
                 "rows": [{"place": "Deprivation decile", "category": "1 (most deprived 10%)",
                           "value": round(float(kn[1]), 1), "decimals": 1}]},
                "A members' representative: Knowsley's residents per decile; the raked estimate is withheld "
                "(men in the SYNTHETIC lupus commons are too few per age band in one council).",
                ["lupus_commons", "census2021_la", "census2021_lsoa21"])]
    out[1]["as"] = member
    out[0]["as"] = steward
    weight, ess = _raked(lupus, None)
    rows = [{"place": "Reweighted (raked)", "category": label, "value": round(float((lupus[col] * weight).sum()
                                                                                     / weight.sum()), 2),
             "decimals": 0} for label, col in (("Average flares per participant", "flares_12m"),
                                                ("Average weekly working hours", "work_hours"))]
    rows.append({"place": "Reweighted (raked)", "category": "Effective sample size", "value": round(ess),
                 "decimals": -2})
    out.append(case("who-004", "who_missing", "how representative is the lupus commons of the city region?",
                    {"status": "answered", "answer_has": ["reweighted (raked to the census age band and sex margins)"],
                     "rows": rows},
                    "Averages raked to the census age-band and sex margins of the city region (an IPF over the "
                    "SYNTHETIC rows), beside the unweighted; Kish effective sample size.",
                    ["lupus_commons", "census2021_la"]))
    out[-1]["as"] = steward
    vl = _in(vcse[vcse.month.str.startswith(max(vcse.month.str[:4]))], "Liverpool")    # the latest year's records
    _, vess = _raked(vl, "Liverpool")
    lv = _decile_shares("Liverpool")
    out.append(case("who-005", "who_missing", "who is missing from the VCSE data in Liverpool?",
                    {"status": "answered", "answer_has": ["its records of 2025"],
                     "rows": [{"place": "Deprivation decile", "category": "1 (most deprived 10%)",
                               "value": round(float(lv[1]), 1), "decimals": 1},
                              {"place": "Reweighted (raked)", "category": "Effective sample size",
                               "value": round(vess), "decimals": -2}]},
                    "VCSE beneficiaries in Liverpool (the latest year's records) against its residents per "
                    "decile; the raked weights' effective sample size (no averages to reweight).",
                    ["vcse_coop", "census2021_la", "census2021_lsoa21"]))
    out[-1]["as"] = {"role": "steward", "datasets": ["vcse_coop"]}
    return out


def main() -> int:
    cases = maps() + relations() + stories() + person_level() + coverage()
    OUT.write_text("".join(json.dumps(c, sort_keys=False) + "\n" for c in cases), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cases)} cases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

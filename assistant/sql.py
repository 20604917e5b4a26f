"""SQL as a sqlglot AST, built from a plan and the semantic layer, then checked.

User text never becomes SQL text: every identifier comes from a datasheet, every literal
from the gazetteer (area codes), the catalogue (periods, dimension values) or a number the
planner parsed.  ``check`` re-parses the rendered statement and accepts one SELECT (or a
UNION ALL of SELECTs) over allow-listed relations and columns, calling only allow-listed
functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from guardrails.participants import OPTOUT_PREFIX, optout_column
from kernel.errors import NotAvailable, QueryRejected
from kernel.types import CheckedSQL
from retrieval.datasheets import RECORD_KEY, Datasheet, Measure
from retrieval.store import GEO_COLUMNS, geo_table_for

OUT_COLUMNS = ("area_code", "area_name", "period", "category", "value")
# Support columns on results from person-level data, for disclosure control only (the
# record count of each cell and the sum of its largest contributions); never released.
SUPPORT_COLUMNS = ("n", "top", "ck")
KEY_SPACE = 2 ** 32
ALLOWED_FUNCS = {"And", "Or", "Sum", "Count", "Nullif", "AnyValue", "Round", "Cast", "Div", "Mul", "Add", "Sub",
                 "Case", "If", "Coalesce", "StartsWith", "Paren", "Neg", "Star", "CountIf"}


@dataclass(frozen=True)
class RowSpec:
    measure: Measure
    level: str                                  # level of the output rows
    place: tuple[str, str] | None = None        # (level, code) to filter on
    periods: tuple[str, ...] = ()               # time-column values to keep (empty: all)
    period_label: str | None = None             # when rows are not per period
    group_time: bool = False
    dimension: str | None = None                # a dimension column to group by
    filters: tuple = ()                         # kernel.plans.Filter: keep / leave out values
    category: str | None = None                 # literal label for this spec's rows
    share_of: Measure | None = None             # value = measure / share_of * 100
    condition: tuple | None = None              # count rows meeting (op, value[, negate]); ("all", 0)
    order: str | None = None
    limit: int | None = None
    # only areas meeting a condition in another table at the same geography:
    # (table, its geography column, the measure column, op, value, negate)
    within: tuple | None = None
    # only rows whose own value meets (op, value, negate): native rows, a measure with a column
    keep: tuple | None = None
    # areas left out of the rows: ((level, code), ...), each matched on its own level's column
    leave_out: tuple = ()
    # only areas whose figure at this level (summed up, or as a share) meets (op, value, negate)
    having: tuple | None = None
    # (counts) rows also meeting these conditions on other columns: ((column, op, value, negate), ...)
    also: tuple = ()
    # Person-level data: the purpose the figures are for; only records whose consent covers it
    # are counted (set by the pipeline from the signed-in project, never from the question).
    consent: str | None = None


# a comparison a condition, a threshold or a HAVING says, as its sqlglot node
_COMPARE = {"=": exp.EQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}


def _col(name: str, table: str = "t") -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _lit(v) -> exp.Expression:
    if isinstance(v, bool):
        return exp.Boolean(this=v)
    if isinstance(v, (int, float)):
        return exp.Literal.number(v)
    return exp.Literal.string(str(v))


def _member(column: exp.Expression, values, exclude: bool = False) -> exp.Expression:
    """``column = v`` / ``column IN (...)``, or (``exclude``) the rows that are not one of them."""
    lits = [_lit(v) for v in values]
    if not lits:
        raise QueryRejected("a filter with no values")
    test = exp.EQ(this=column, expression=lits[0]) if len(lits) == 1 else exp.In(this=column, expressions=lits)
    return exp.Not(this=exp.Paren(this=test)) if exclude else test


def _sum(e: exp.Expression) -> exp.Expression:
    return exp.Sum(this=e)


def _div(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.Div(this=exp.Paren(this=a), expression=exp.Nullif(this=exp.Paren(this=b), expression=_lit(0)))


def value_expression(m: Measure, aggregate: bool) -> exp.Expression:
    """The value of ``m`` for a group of rows (or a single native row)."""
    if m.rollup == "ratio":
        if not aggregate and m.column:
            e: exp.Expression = exp.AnyValue(this=_col(m.column))
        else:
            e = _div(_sum(_col(m.numerator)), _sum(_col(m.denominator)))
    elif m.rollup == "sum" and (m.sum_of or m.less):
        parts = [exp.Coalesce(this=_col(c), expressions=[_lit(0)]) for c in m.summed_columns]
        total = parts[0]
        for p in parts[1:]:
            total = exp.Add(this=total, expression=p)
        for c in m.less:            # a table's total less the parts left out
            total = exp.Sub(this=total, expression=exp.Coalesce(this=_col(c), expressions=[_lit(0)]))
        e = _sum(total)
    elif m.rollup == "sum":
        e = _sum(_col(m.column))
    elif m.rollup == "count":
        e = exp.Count(this=exp.Star())
    elif m.rollup == "mean":
        e = _div(_sum(_col(m.column)), exp.Count(this=_col(m.column)))
    elif m.rollup == "weighted_mean":
        if not aggregate:
            e = exp.AnyValue(this=_col(m.column))
        else:
            weight_if_valued = exp.Case(ifs=[exp.If(this=exp.Not(this=exp.Is(this=_col(m.column), expression=exp.Null())),
                                                    true=_col(m.weight))])
            e = _div(_sum(exp.Mul(this=_col(m.column), expression=_col(m.weight))), _sum(weight_if_valued))
    else:
        e = exp.AnyValue(this=_col(m.column))
    if m.scale != 1 and m.format != "category":
        e = exp.Mul(this=exp.Paren(this=e), expression=_lit(m.scale))
    return e


def _shown(m: Measure) -> exp.Expression:
    """A row's figure as the answer shows it (its column times the measure's scale): the scale a
    threshold someone says is on ('an income deprivation rate above 30' is 30%, not 30 times the whole)."""
    if m.scale != 1 and m.format not in ("category", "decile"):
        return exp.Paren(this=exp.Mul(this=_col(m.column), expression=_lit(m.scale)))
    return _col(m.column)


def _time_filter(sheet: Datasheet, periods: tuple[str, ...]) -> exp.Expression | None:
    col = sheet.time.column
    if not col or not periods:
        return None
    if sheet.time.granularity == "month":
        values = [_lit(p) for p in periods]
    else:
        values = [_lit(int(p)) if p.isdigit() else _lit(p) for p in periods]
    return exp.In(this=_col(col), expressions=values)


def build_select(sheet: Datasheet, spec: RowSpec) -> exp.Select:
    geo = sheet.geography
    m = spec.measure
    country_rows = spec.level == "country"
    native = spec.level == geo.level or country_rows
    t = exp.to_table(sheet.table, alias="t")
    q = exp.select().from_(t)
    where: list[exp.Expression] = []
    if country_rows:
        code = geo.extra_rows["country"]
        area_code, area_name = _lit(code), (_col(geo.name_column) if geo.name_column else _lit("England"))
        where.append(exp.EQ(this=_col(geo.column), expression=_lit(code)))
        group_keys: list[exp.Expression] = [area_name] if geo.name_column else []
    else:
        gtable = geo_table_for(sheet)
        key = "lsoa_cd" if geo.level == "lsoa" else "lad_cd"
        q = q.join(exp.to_table(gtable, alias="g"),
                   on=exp.EQ(this=_col(geo.column), expression=_col(key, "g")), join_type="inner")
        lvl = "lad" if spec.level == "lad" else spec.level
        area_code, area_name = _col(f"{lvl}_cd", "g"), _col(f"{lvl}_nm", "g")
        group_keys = [area_code, area_name]
        if spec.place:
            plevel, pcode = spec.place
            where.append(exp.EQ(this=_col(f"{plevel}_cd", "g"), expression=_lit(pcode)))
    tf = _time_filter(sheet, spec.periods)
    if tf is not None:
        where.append(tf)
    for f in spec.filters:
        where.append(_member(_col(f.column), f.values, f.exclude))
    for olevel, ocode in spec.leave_out:
        if country_rows:
            raise NotAvailable("places are left out of city-region rows only")
        where.append(exp.Not(this=exp.Paren(this=exp.EQ(this=_col(f"{'lad' if olevel == 'lad' else olevel}_cd", "g"),
                                                        expression=_lit(ocode)))))
    if spec.keep is not None:
        if not native or not m.column:
            raise NotAvailable("a threshold on a figure is applied to the areas it is published for")
        kop, kval, kneg = spec.keep
        kcmp = _COMPARE[kop]
        ktest = kcmp(this=_shown(m), expression=_lit(kval))
        where.append(exp.Not(this=exp.Paren(this=ktest)) if kneg else ktest)
    if spec.within is not None:
        wtable, wgeo, wcol, wop, wval, wneg = spec.within
        cmp = _COMPARE[wop]
        inner = exp.select(_col(wgeo, "w")).from_(exp.to_table(wtable, alias="w")).where(
            cmp(this=_col(wcol, "w"), expression=_lit(wval)))
        test = exp.In(this=_col(geo.column), query=exp.Subquery(this=inner))
        where.append(exp.Not(this=test) if wneg else test)
    if sheet.person_level and spec.consent and any(c.name == optout_column(spec.consent) for c in sheet.columns):
        where.append(exp.EQ(this=_col(optout_column(spec.consent)), expression=_lit(0)))

    if spec.group_time and sheet.time.column:
        period = exp.Cast(this=_col(sheet.time.column), to=exp.DataType.build("VARCHAR"))
        group_keys.append(_col(sheet.time.column))
    else:
        period = _lit(spec.period_label or "")
    if spec.dimension:
        category = exp.Cast(this=_col(spec.dimension), to=exp.DataType.build("VARCHAR"))
        group_keys.append(_col(spec.dimension))
    else:
        category = _lit(spec.category or "")

    aggregate = not native or m.rollup in ("sum", "count", "mean") or bool(spec.dimension) \
        or m.rollup == "ratio" and not m.column
    if sheet.person_level and (spec.condition is not None or spec.share_of is not None or country_rows):
        raise NotAvailable("that kind of question is not available on person-level data")
    if spec.condition is not None:
        op, val = spec.condition[0], spec.condition[1]
        negate = len(spec.condition) > 2 and bool(spec.condition[2])
        value = exp.Count(this=exp.Star())
        if op == "in":
            where.append(_member(_col(m.column), val, negate))
        elif op != "all":
            cmp = _COMPARE[op]
            test = cmp(this=_shown(m), expression=_lit(val))
            where.append(exp.Not(this=exp.Paren(this=test)) if negate else test)

    else:
        value = value_expression(m, aggregate)
        if spec.share_of is not None:
            value = exp.Mul(this=_div(value, value_expression(spec.share_of, aggregate)), expression=_lit(100))
    for column, aop, aval, aneg in spec.also:
        test = _COMPARE[aop](this=_col(column), expression=_lit(aval))
        where.append(exp.Not(this=exp.Paren(this=test)) if aneg else test)
    q = q.select(exp.alias_(area_code, "area_code"), exp.alias_(area_name, "area_name"),
                 exp.alias_(period, "period"), exp.alias_(category, "category"),
                 exp.alias_(value, "value"))
    if sheet.person_level:
        top = exp.Null() if m.rollup == "count" else exp.Anonymous(
            this="LIST_SUM", expressions=[exp.Max(this=_col(m.column), count=_lit(sheet.rules.dominance_top))])
        keyed = any(c.name == RECORD_KEY for c in sheet.columns)
        # the cell key of the cell-key perturbation (guardrails.disclosure): the sum of its records' keys
        ck = exp.Mod(this=exp.Paren(this=exp.Sum(this=_col(RECORD_KEY))), expression=_lit(KEY_SPACE)) \
            if keyed else exp.Null()
        q = q.select(exp.alias_(exp.Count(this=exp.Star()), "n"), exp.alias_(top, "top"), exp.alias_(ck, "ck"))
    if where:
        q = q.where(exp.and_(*where))
    if group_keys:
        q = q.group_by(*group_keys)
    if spec.having is not None:
        if not group_keys or spec.condition is not None:
            raise NotAvailable("a threshold on an area's figure needs one row per area")
        hop, hval, hneg = spec.having
        hcmp = _COMPARE[hop]
        htest = hcmp(this=value.copy(), expression=_lit(hval))
        q = q.having(exp.Not(this=exp.Paren(this=htest)) if hneg else htest)
    if spec.order:
        q = q.order_by(exp.Ordered(this=exp.column("value"), desc=spec.order == "desc", nulls_first=False))
        q = q.order_by(exp.Ordered(this=exp.column("area_name")), append=True)
    if spec.limit:
        q = q.limit(spec.limit)
    return q


def build_union(parts: list[tuple[Datasheet, RowSpec]]) -> exp.Expression:
    if not parts:
        raise QueryRejected("no row specs to build a query from")
    selects = [build_select(s, spec) for s, spec in parts]
    if len(selects) == 1:
        return selects[0]
    cols = OUT_COLUMNS + (SUPPORT_COLUMNS if any(s.person_level for s, _ in parts) else ())
    wrapped = [exp.select(*[exp.column(c, table=f"q{i}", quoted=True) for c in cols])
               .from_(exp.Subquery(this=s, alias=exp.TableAlias(this=exp.to_identifier(f"q{i}"))))
               if (s.args.get("limit") or s.args.get("order")) else s for i, s in enumerate(selects)]
    out = wrapped[0]
    for s in wrapped[1:]:
        out = exp.union(out, s, distinct=False)
    return out


def _realias(tree: exp.Expression, names: dict[str, str]) -> exp.Expression:
    """The same statement with its table aliases renamed (so two selects in one statement never
    share an alias, and the safety check reads each column against its own table)."""
    tree = tree.copy()
    for node in tree.walk():
        if isinstance(node, exp.Table) and node.alias in names:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(names[node.alias])))
        elif isinstance(node, exp.Column) and node.table in names:
            node.set("table", exp.to_identifier(names[node.table], quoted=True))
    return tree


def build_rate(numerator: exp.Expression, denominator: exp.Expression, per: int) -> exp.Expression:
    """Each numerator row divided by the denominator of the same area, times ``per``: the rate
    is computed in the governed SQL (both sides are themselves governed selects)."""
    n, d = exp.to_identifier("n"), exp.to_identifier("d")
    q = exp.select(exp.alias_(exp.column("area_code", table="n", quoted=True), "area_code"),
                   exp.alias_(exp.column("area_name", table="n", quoted=True), "area_name"),
                   exp.alias_(exp.column("period", table="n", quoted=True), "period"),
                   exp.alias_(exp.column("category", table="n", quoted=True), "category"),
                   exp.alias_(exp.Mul(this=_div(exp.column("value", table="n", quoted=True),
                                                exp.column("value", table="d", quoted=True)),
                                      expression=_lit(per)), "value"))
    q = q.from_(exp.Subquery(this=numerator, alias=exp.TableAlias(this=n)))
    denominator = _realias(denominator, {"t": "dt", "g": "dg"})
    # the same area and the same row kind (the asked place, its comparators, the councils)
    on = exp.and_(exp.EQ(this=exp.column("area_code", table="n", quoted=True),
                         expression=exp.column("area_code", table="d", quoted=True)),
                  exp.NullSafeEQ(this=exp.column("category", table="n", quoted=True),
                                 expression=exp.column("category", table="d", quoted=True)))
    return q.join(exp.Subquery(this=denominator, alias=exp.TableAlias(this=d)), on=on, join_type="inner")


class AllowList(dict):
    """Table -> columns that generated SQL may touch; ``person_level`` names the tables of
    person-level data, which may only be read in aggregate."""

    person_level: frozenset[str] = frozenset()


def allowed_columns(sheets: dict[str, Datasheet]) -> AllowList:
    allowed = AllowList({g: set(GEO_COLUMNS) for g in ("geo_lsoa11", "geo_lsoa21", "geo_lad")})
    allowed.person_level = frozenset(s.table for s in sheets.values() if s.person_level)
    for s in sheets.values():
        cols = {s.geography.column}
        if s.geography.name_column:
            cols.add(s.geography.name_column)
        if s.time.column:
            cols.add(s.time.column)
        for m in s.measures:
            cols |= {c for c in (m.column, m.weight, m.numerator, m.denominator) if c} | set(m.sum_of) | set(m.less)
        cols |= {d.column for d in s.dimensions}
        blocked = {c.name for c in s.columns if c.role == "direct_identifier"}
        if s.person_level:     # only what the datasheet offers as a measure, dimension or place
            blocked |= {c.name for c in s.columns if c.role == "quasi_identifier"} - \
                {d.column for d in s.dimensions} - {s.geography.column}
        if s.person_level and any(c.name == RECORD_KEY for c in s.columns):
            cols.add(RECORD_KEY)          # only inside the ``ck`` support column (see check)
        if s.person_level:                # consent columns: only as ``optout_<purpose> = 0`` (see check)
            cols |= {c.name for c in s.columns if c.name.startswith(OPTOUT_PREFIX)}
        allowed[s.table] = cols - blocked
    return allowed


def check(statement: exp.Expression, allowed: dict[str, set[str]],
          extra_funcs: frozenset[str] = frozenset()) -> CheckedSQL:
    """Render and re-parse; accept only a read-only query over allow-listed names."""
    sql = statement.sql(dialect="duckdb")
    try:
        parsed = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as e:
        raise QueryRejected(f"generated SQL does not parse: {e}") from None
    if len(parsed) != 1 or parsed[0] is None:
        raise QueryRejected("exactly one statement is allowed")
    tree = parsed[0]
    if not isinstance(tree, (exp.Select, exp.Union)):
        raise QueryRejected(f"only SELECT is allowed, not {type(tree).__name__}")
    aliases: dict[str, str] = {}
    subqueries: set[str] = set()
    tables: list[str] = []
    person_level = getattr(allowed, "person_level", frozenset())
    for node in tree.walk():
        if isinstance(node, exp.Table):
            name = node.name
            if not name or name not in allowed or node.args.get("db") or node.args.get("catalog"):
                raise QueryRejected(f"relation '{node.sql()}' is not allowed")
            tables.append(name)
            if node.alias:
                aliases[node.alias] = name
        elif isinstance(node, exp.Subquery) and node.alias:
            subqueries.add(node.alias)
        elif isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Command,
                               exp.Pragma, exp.Set, exp.Copy, exp.Attach)):
            raise QueryRejected(f"{type(node).__name__} is not allowed")
        elif isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
            raise QueryRejected("SELECT * is not allowed: every column must be named")
        elif isinstance(node, exp.Func) and type(node).__name__ not in ALLOWED_FUNCS | extra_funcs:
            if not _support_function(node):
                raise QueryRejected(f"function {node.sql()[:40]} is not allowed")
    for node in tree.find_all(exp.Column):
        if not node.table:
            if node.name in OUT_COLUMNS:
                continue   # output aliases such as ORDER BY value
            raise QueryRejected(f"unqualified column '{node.name}' is not allowed")
        if node.table in subqueries and node.table not in aliases:
            if node.name not in OUT_COLUMNS + SUPPORT_COLUMNS:
                raise QueryRejected(f"column '{node.sql()}' is not allowed")
            continue
        table = aliases.get(node.table)
        if table is None or node.name not in allowed[table]:
            raise QueryRejected(f"column '{node.sql()}' is not allowed")
        if node.name == RECORD_KEY and not _in_cell_key(node):
            raise QueryRejected("the record key may only be summed into the cell key")
        if node.name.startswith(OPTOUT_PREFIX) and not _consent_filter(node):
            raise QueryRejected("a consent column may only keep the records whose consent covers the purpose")
    for select in tree.find_all(exp.Select):
        from_ = select.args.get("from") or select.args.get("from_")
        source = from_.this if from_ is not None else None
        if isinstance(source, exp.Table) and source.name in person_level:
            names = {e.alias_or_name for e in select.expressions}
            if not select.args.get("group") or "n" not in names:
                raise QueryRejected("person-level data can only be read as counted aggregates, never row by row")
    return CheckedSQL(sql=sql, tables=tuple(dict.fromkeys(tables)), tree=tree)


# -- benchmarking against anonymised peers ---------------------------------------------------
# The outer select of a benchmark: per cell, the own organisation's figure (with its support
# columns for disclosure control) and summary statistics over the peers; nothing per peer.
BENCHMARK_COLUMNS = ("area_code", "area_name", "period", "own", "own_n", "own_top", "own_ck", "peers", "q1", "median",
                     "q3", "top", "total", "top_n", "peer_n")
BENCHMARK_FUNCS = frozenset({"PercentileCont", "Max"})
QUARTILES = (("q1", 0.25), ("median", 0.5), ("q3", 0.75))


def build_benchmark(sheet: Datasheet, spec: RowSpec, own: str) -> exp.Select:
    """Summary statistics of one measure per cell (``spec``'s rows, grouped by the protected
    organisation column as its dimension) for the organisation ``own`` against every other one.
    ``own`` is the signed-in account's organisation (a literal, never question text)."""
    if sheet.benchmark is None or spec.dimension != sheet.benchmark.column:
        raise QueryRejected("a benchmark groups by the dataset's protected organisation column only")
    inner = build_select(sheet, spec)
    b = exp.to_identifier("b")
    col = lambda c: exp.column(c, table="b", quoted=True)        # noqa: E731
    is_own = exp.EQ(this=col("category"), expression=_lit(own))
    is_peer = exp.NEQ(this=col("category"), expression=_lit(own))

    def when(test, value):
        return exp.Case(ifs=[exp.If(this=test.copy(), true=value)])

    outs = [exp.alias_(col("area_code"), "area_code"), exp.alias_(col("area_name"), "area_name"),
            exp.alias_(col("period"), "period"),
            exp.alias_(exp.Sum(this=when(is_own, col("value"))), "own"),
            exp.alias_(exp.Sum(this=when(is_own, col("n"))), "own_n"),
            exp.alias_(exp.Sum(this=when(is_own, col("top"))), "own_top"),
            exp.alias_(exp.Sum(this=when(is_own, col("ck"))), "own_ck"),
            exp.alias_(exp.Count(this=when(is_peer, _lit(1))), "peers")]
    for name, q in QUARTILES:
        outs.append(exp.alias_(exp.PercentileCont(this=when(is_peer, col("value")), expression=_lit(q)), name))
    outs += [exp.alias_(exp.Max(this=when(is_peer, col("value"))), "top"),
             exp.alias_(exp.Sum(this=when(is_peer, col("value"))), "total"),
             exp.alias_(exp.Max(this=when(is_peer, col("n"))), "top_n"),
             exp.alias_(exp.Sum(this=when(is_peer, col("n"))), "peer_n")]
    return (exp.select(*outs).from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=b)))
            .group_by(col("area_code"), col("area_name"), col("period")))


def check_benchmark(statement: exp.Expression, allowed: "AllowList", sheet: Datasheet) -> CheckedSQL:
    """``check`` with the protected organisation column let in for this one shape: grouped by in
    the inner select, compared with a literal inside an aggregate in the outer one, and never an
    output; the outer select returns only ``BENCHMARK_COLUMNS``."""
    if sheet.benchmark is None:
        raise QueryRejected(f"{sheet.id} offers no benchmarking")
    widened = AllowList({k: set(v) for k, v in allowed.items()})
    widened.person_level = allowed.person_level
    widened[sheet.table] = widened.get(sheet.table, set()) | {sheet.benchmark.column}
    checked = check(statement, widened, BENCHMARK_FUNCS)
    tree = checked.tree
    if not isinstance(tree, exp.Select) or [e.alias_or_name for e in tree.expressions] != list(BENCHMARK_COLUMNS):
        raise QueryRejected("a benchmark returns summary statistics only")
    for node in tree.find_all(exp.Column):
        if node.name == sheet.benchmark.column:
            inner = node.find_ancestor(exp.Select)
            if inner is tree or not (isinstance(node.parent, (exp.Group, exp.Cast))):
                raise QueryRejected("the organisation column may only group the inner select")
        elif node.name == "category" and node.find_ancestor(exp.Select) is tree:
            if not (isinstance(node.parent, (exp.EQ, exp.NEQ)) and node.find_ancestor(exp.AggFunc) is not None):
                raise QueryRejected("the organisation may only be compared with the account's, inside an aggregate")
    for node in tree.find_all(exp.Max):
        if node.find_ancestor(exp.Select) is tree and node.find_ancestor(exp.Alias).alias not in ("top", "top_n"):
            raise QueryRejected("a largest value is read only for the dominance rule")
    return checked


def _consent_filter(node: exp.Expression) -> bool:
    """``optout_<purpose>`` appears only as ``= 0`` in a WHERE clause."""
    eq = node.parent
    if not (isinstance(eq, exp.EQ) and eq.this is node and isinstance(eq.expression, exp.Literal)
            and eq.expression.this == "0"):
        return False
    up = eq.parent
    while isinstance(up, (exp.And, exp.Paren)):
        up = up.parent
    return isinstance(up, exp.Where)


def _in_cell_key(node: exp.Expression) -> bool:
    """``record_key`` appears only as SUM(record_key) % 2**32 AS ck."""
    s = node.parent
    if not isinstance(s, exp.Sum):
        return False
    m = s.parent.parent if isinstance(s.parent, exp.Paren) else s.parent
    return isinstance(m, exp.Mod) and isinstance(m.parent, exp.Alias) and m.parent.alias == "ck"


def _support_function(node: exp.Expression) -> bool:
    """LIST_SUM(MAX(col, k)) may appear only as the ``top`` support column (dominance rule)."""
    anon = node if isinstance(node, exp.Anonymous) else node.parent
    if isinstance(node, exp.Max) and not isinstance(node.parent, exp.Anonymous):
        return False
    if not isinstance(anon, exp.Anonymous) or str(anon.name).upper() != "LIST_SUM":
        return False
    return isinstance(anon.parent, exp.Alias) and anon.parent.alias == "top"

"""Measuring a release from its own Parquet shards, as its users read it.

Each number of the card, the report's ``statistics`` and the figures is measured here once,
after the writers closed, from the shards' footers (rows, NULL cells, minimum and maximum)
and by Polars queries over the shards (:mod:`.shards`). The queries decode each column about
once: a table's scan decodes one text column at a time (a row group of free text takes a
few hundred MB decoded), and the counts that need a column's values ride on that column's
scan; the rows per key, grouped once, also give their column's distinct values and bytes.

Distinct values: the key columns (``app_id``, ``ifw_number``) are counted exactly (a
one-column primary key has a distinct value per row: the release's rows passed its check),
and so are
the values of every column whose schema bounds them (a date, an integer, text with an enum or
a maximum length) and of any column of at most :data:`SAMPLED_HASHES` values (their
vocabulary). Of a larger free-text column, the values whose 64-bit hash falls in the lowest
:data:`SAMPLED_HASHES` / (values) of the hash range are counted first; when fewer than
:data:`EXACT_BELOW` distinct values fall there, the column has few enough values to count them
all; otherwise the distinct count is estimated from the sample, with a standard error of about
1 / √(the sample's distinct values), under 1.6 %.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import polars as pl
import pyarrow as pa

from ptoffact_build.describe.arrowsize import is_text, loaded_bytes
from ptoffact_build.describe.facts import (
    CASE_LAW_FLAGS,
    CITATION_SOURCES,
    FLAGS,
    OTHER,
    VOCABULARY_LIMIT,
    CitationQuirks,
    ColumnFacts,
    DecisionCounts,
    FigureFacts,
    JoinFacts,
    MonthCount,
    OfficeActionQuirks,
    RejectionQuirks,
    ReleaseFacts,
    RowsPerKey,
    TableFacts,
    ValueCount,
)
from ptoffact_build.describe.shards import (
    GROUP_BATCH_ROWS,
    Shards,
    TableFooter,
    collect,
    key_groups,
)
from ptoffact_build.schema import TABLES, Field, load_schema
from ptoffact_build.write.sort import SORT_KEYS

SEED = 0x5EED  # of the value hashes (Polars' hash: fixed for a given Polars version)
SAMPLED_HASHES = 1 << 20  # values sampled for a distinct count, at most
EXACT_BELOW = 4096  # a sample with fewer distinct values: every value is counted
CLAIM_LIST = r"^[0-9]+(,[0-9]+)*$"
TRIPLE = ["ifw_number", "action_type", "action_subtype"]  # what a citation's rejection is
PAIR = ["app_id", "citation_pat_pgpub_id"]  # repeated in citations
HASH_RANGE = 1 << 64
RUN_BITS = 20  # a batch of GROUP_BATCH_ROWS rows holds at most 2**20 runs of a key


def measure_release(
    paths: Mapping[str, Sequence[Path]], on_figures: Callable[[FigureFacts], None] | None = None
) -> ReleaseFacts:
    """Every measured number of a release, from its tables' Parquet shards (in order).

    What the figures draw is measured first and handed to ``on_figures``, so that they can
    be drawn while the rest is measured. Each grouping by key is reduced to its few numbers
    at once (:class:`KeyTally`) and let go, so that at most one is held at a time."""
    shards = Shards({t: tuple(paths[t]) for t in TABLES})
    actions = shards.scan("office_actions")
    citation_footer, citation_plans = plans_of(shards, "citations")
    cited = {plan.name: plan for plan in citation_plans}
    citations_found = first_scan(shards, "citations", citation_plans, citation_extras())
    figures = figure_facts(actions, citation_footer.rows, citations_found)
    if on_figures is not None:
        on_figures(figures)
    pairs = citations_per_application(shards, cited["citation_pat_pgpub_id"])
    applications = KeyTally.of(pairs[0], actions, "anti")
    repeated_pairs, citations_found = pairs[1], citations_found | pairs[2]
    del pairs
    parsed_lengths, parsed_found = parsed_pass(shards, cited["parsed"])
    citations_found |= parsed_found
    per_action = rows_per("rejections", "ifw_number", shards, CASE_LAW_FLAGS)
    decisions = decision_counts(per_action)
    actions_cited = KeyTally.of(per_action, actions, "semi")
    del per_action
    cited_actions = KeyTally.of(rows_per("citations", "ifw_number", shards), actions, "anti")
    triples = repeated_triples(shards)
    multiplied, added = rejection_join(shards, triples)
    oa, oa_extra = measure_table(
        shards, "office_actions", {}, from_counts=OFFICE_ACTIONS_FROM_COUNTS
    )
    rej, rej_extra = measure_table(
        shards, "rejections", rejection_extras(), {"ifw_number": actions_cited}
    )
    known = {"app_id": applications, "ifw_number": cited_actions}
    parsed_from_counts = {} if parsed_found else {"parsed_lengths": ("parsed", lengths_of)}
    cit, cit_extra = measure_table(
        shards,
        "citations",
        citation_extras(),
        known,
        found=citations_found,
        from_counts=parsed_from_counts,
    )
    return ReleaseFacts(
        tables={"office_actions": oa, "rejections": rej, "citations": cit},
        figures=figures,
        rejections_per_action=actions_cited.rows_per_key,
        citations_per_application=applications.rows_per_key,
        decisions=decisions,
        joins=JoinFacts(
            rejections_with_action=actions_cited.matched,
            citations_multiplied=multiplied,
            rows_added_by_rejection_join=added,
            citations_typed_without_subtype=cit_extra["typed_without_subtype"],
        ),
        office_action_quirks=OfficeActionQuirks(
            same_day_duplicate_rows=rows_in_repeated_groups(actions, ["app_id", "mail_dt"]),
            art_unit_non_numeric=oa_extra["art_unit_non_numeric"],
            art_unit_lengths=oa_extra["art_unit_lengths"],
            uspc_class_lengths=oa_extra["uspc_class_lengths"],
        ),
        rejection_quirks=RejectionQuirks(
            colliding_triple_rows=int(triples["len"].sum()),
            claim_numbers_not_a_plain_list=rej_extra["claim_numbers_not_a_plain_list"],
        ),
        citation_quirks=CitationQuirks(
            app_id_not_in_office_actions=applications.matched,
            ifw_number_not_in_office_actions=cited_actions.matched,
            repeated_app_citation_rows=repeated_pairs,
            parsed_lengths=cit_extra.get("parsed_lengths", parsed_lengths),
        ),
    )


@dataclass(frozen=True)
class KeyTally:
    """A column's rows per key reduced to what is measured of it: its distinct keys and
    text bytes (for the column profile), the rows per key, and the rows whose key is
    (``semi``) or is not (``anti``) one of the office actions'."""

    distinct: int
    text_bytes: int
    rows_per_key: RowsPerKey
    matched: int

    @classmethod
    def of(cls, per_key: pl.DataFrame, actions: pl.LazyFrame, how: str) -> KeyTally:
        return cls(
            distinct=len(per_key),
            text_bytes=text_bytes(per_key, None),
            rows_per_key=rows_per_key(per_key),
            matched=rows_matching(per_key, actions, how),
        )


def figure_facts(
    actions: pl.LazyFrame, citation_rows: int, citations: dict[str, Any]
) -> FigureFacts:
    """The figures' numbers: the monthly counts, and the citations' counts by source from
    the scan of their columns that are not text (``citations``, see :func:`first_scan`)."""
    return FigureFacts(
        months=months(actions),
        citation_rows=citation_rows,
        citations_by_source=tuple(number(citations[f"{n}:true"]) for n in CITATION_SOURCES),
        citations_in_no_source=number(citations["in_no_source"]),
        citations_in_several_sources=number(citations["in_several_sources"]),
    )


# ---- counts that ride on a table's scans --------------------------------------------------


def non_numeric(counted: pl.DataFrame) -> int:
    """Rows whose value is not all digits, from a column's rows per value."""
    values = counted[counted.columns[0]]
    return int(counted.filter(~values.str.contains(r"^[0-9]+$"))["len"].sum() or 0)


def lengths_of(counted: pl.DataFrame) -> tuple[ValueCount, ...]:
    """Non-NULL values by length in characters, from a column's rows per value."""
    values = counted[counted.columns[0]].str.len_chars().alias("length")
    by_length = counted.select(values, "len").drop_nulls().group_by("length").sum()
    return tuple(ranked(ValueCount(int(n), int(r)) for n, r in by_length.iter_rows()))


# Quirks derived from a column's rows per value: the column, and what to derive.
OFFICE_ACTIONS_FROM_COUNTS = {
    "art_unit_non_numeric": ("art_unit", non_numeric),
    "art_unit_lengths": ("art_unit", lengths_of),
    "uspc_class_lengths": ("uspc_class", lengths_of),
}


def rejection_extras() -> dict[str, pl.Expr]:
    irregular = ~pl.col("claim_numbers").str.contains(CLAIM_LIST)
    return {"claim_numbers_not_a_plain_list": irregular.sum()}


def citation_extras() -> dict[str, pl.Expr]:
    flags = [pl.col(name).fill_null(False) for name in CITATION_SOURCES]
    several = (flags[0] & flags[1]) | (flags[0] & flags[2]) | (flags[1] & flags[2])
    typed = pl.col("action_type").is_not_null() & pl.col("action_subtype").is_null()
    return {
        "in_no_source": (~(flags[0] | flags[1] | flags[2])).sum(),
        "in_several_sources": several.sum(),
        "typed_without_subtype": typed.sum(),
    }


# ---- a table's columns --------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """How a column's values are counted: booleans by their trues, keys exactly, bounded
    columns by value, free text from a hash sample first (see the module's docstring).
    ``per_key`` is the column's rows per value, reduced, when they were grouped anyway: its
    distinct values and bytes come from there."""

    field: pa.Field
    present: int  # non-NULL values
    bounded: bool = False  # the schema bounds its values (date, integer, enum, maxLength)
    per_key: KeyTally | None = None
    unique: bool = False  # the table's one-column primary key: a distinct value per row

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def boolean(self) -> bool:
        return pa.types.is_boolean(self.field.type)

    @property
    def key(self) -> bool:
        return self.name in SORT_KEYS

    @property
    def sampled(self) -> bool:
        free = not (self.boolean or self.key or self.bounded)
        return free and self.present > SAMPLED_HASHES

    def threshold(self) -> int:
        """The hashes sampled are those below this."""
        return HASH_RANGE * SAMPLED_HASHES // self.present

    def expressions(self) -> dict[str, pl.Expr]:
        """What a scan computes for this column: the bytes of its text, and its trues, its
        sample's distinct hashes or its distinct values, as its kind needs (nothing for a
        column counted by value or per key: those counts give both)."""
        column = pl.col(self.name)
        if self.per_key is not None or not (self.boolean or self.key or self.sampled):
            return {}
        found: dict[str, pl.Expr] = {}
        if is_text(self.field.type):
            found[f"{self.name}:bytes"] = column.str.len_bytes().sum()
        if self.boolean:
            found[f"{self.name}:true"] = column.sum()
        elif self.sampled:
            hashed = column.hash(SEED)
            below = column.is_not_null() & (hashed < pl.lit(self.threshold(), pl.UInt64))
            found[f"{self.name}:sampled"] = hashed.filter(below).n_unique()
        elif not self.unique:
            found[f"{self.name}:distinct"] = column.drop_nulls().n_unique()
        return found


def scans_of(
    plans: list[ColumnPlan], extras: dict[str, pl.Expr]
) -> dict[str | None, dict[str, pl.Expr]]:
    """A table's scans: one per text column (by its name) and one for the others (None),
    each extra count in the scan of the first text column it reads (or of the others)."""
    text = [p.name for p in plans if is_text(p.field.type)]
    scans: dict[str | None, dict[str, pl.Expr]] = {name: {} for name in [*text, None]}
    for plan in plans:
        scans[plan.name if plan.name in text else None].update(plan.expressions())
    for name, expression in extras.items():
        read = [c for c in expression.meta.root_names() if c in text]
        scans[read[0] if read else None][name] = expression
    return scans


def bounded(field: Field) -> bool:
    """Whether the schema bounds a column's values: a date, an integer, or text with an enum
    or a maximum length (a few thousand values at most in this data)."""
    limits = ("enum", "maxLength")
    return field.type in ("date", "integer") or any(k in field.constraints for k in limits)


def plans_of(
    shards: Shards, table: str, per_key: Mapping[str, KeyTally] | None = None
) -> tuple[TableFooter, list[ColumnPlan]]:
    schema = load_schema(table)
    footer = shards.footer(table, schema.field_names)
    plans = [
        ColumnPlan(
            f.arrow,
            footer.rows - footer.columns[f.name].nulls,
            bounded(f),
            (per_key or {}).get(f.name),
            unique=schema.primary_key == (f.name,),
        )
        for f in schema.fields
    ]
    return footer, plans


def first_scan(
    shards: Shards, table: str, plans: list[ColumnPlan], extras: dict[str, pl.Expr]
) -> dict[str, Any]:
    """What a table's scan of its columns that are not text (``plans``: its columns' plans,
    see :func:`plans_of`) finds: the trues of its booleans and the extras that read only
    those."""
    expressions = scans_of(plans, extras)[None]
    return dict(collect(shards.scan(table).select(**expressions)).row(0, named=True))


def measure_table(
    shards: Shards,
    table: str,
    extras: dict[str, pl.Expr],
    per_key: Mapping[str, KeyTally] | None = None,
    found: dict[str, Any] | None = None,
    from_counts: Mapping[str, tuple[str, Callable[[pl.DataFrame], Any]]] | None = None,
) -> tuple[TableFacts, dict[str, Any]]:
    """A table's facts and ``extras``, from its footers, its scans (but those whose results
    are ``found`` already) and a grouped query per column whose values are counted; with the
    counts ``from_counts`` derives from a counted column's rows per value."""
    schema = load_schema(table).arrow
    footer, plans = plans_of(shards, table, per_key)
    scan = shards.scan(table)
    found = dict(found or {})
    for expressions in scans_of(plans, extras).values():
        if expressions and not set(expressions) <= set(found):
            found.update(collect(scan.select(**expressions)).row(0, named=True))
    tallies = {plan.name: column_tally(scan, plan, footer, found) for plan in plans}
    text = {name: t.text_bytes for name, t in tallies.items()}
    nulls = {name: c.nulls_per_group for name, c in footer.columns.items()}
    size = loaded_bytes(schema, footer.group_rows, nulls, text)
    columns = tuple(t.facts for t in tallies.values())
    derived = {k: number(found[k]) for k in extras}
    for name, (column, derive) in (from_counts or {}).items():
        counted = tallies[column].counted
        assert counted is not None, column  # a bounded column is counted by value
        derived[name] = derive(counted)
    return TableFacts(table, footer.rows, size, columns), derived


def number(value: Any) -> int:
    """A count as a Python int (a sum of nothing is NULL: 0)."""
    return int(value or 0)


@dataclass(frozen=True)
class ColumnTally:
    """A column's facts, the bytes of its text values (0 for other columns), and its rows
    per value when they were counted."""

    facts: ColumnFacts
    text_bytes: int = 0
    counted: pl.DataFrame | None = None


def column_tally(
    scan: pl.LazyFrame, plan: ColumnPlan, footer: TableFooter, found: dict[str, Any]
) -> ColumnTally:
    """One column's facts from the footers and what the scans found (or its own count)."""
    name = plan.name
    column = footer.columns[name]
    low, high = (column.low, column.high) if column.complete else extremes(scan, name)
    bytes_found = number(found.get(f"{name}:bytes"))
    if plan.per_key is not None:
        distinct, found_bytes = plan.per_key.distinct, plan.per_key.text_bytes
        return ColumnTally(ColumnFacts(name, column.nulls, distinct, True, low, high), found_bytes)
    if plan.boolean:
        trues = number(found[f"{name}:true"])
        counts = [ValueCount(True, trues), ValueCount(False, plan.present - trues)]
        counts += [ValueCount(None, column.nulls)] if column.nulls else []
        kept = tuple(ranked(c for c in counts if c.rows))
        distinct = sum(1 for c in kept if c.value is not None)
        return ColumnTally(ColumnFacts(name, column.nulls, distinct, True, low, high, kept))
    if plan.key:
        distinct = plan.present if plan.unique else number(found[f"{name}:distinct"])
        return ColumnTally(ColumnFacts(name, column.nulls, distinct, True, low, high), bytes_found)
    if plan.sampled and number(found[f"{name}:sampled"]) >= EXACT_BELOW:
        estimate = round(number(found[f"{name}:sampled"]) * HASH_RANGE / plan.threshold())
        facts = ColumnFacts(name, column.nulls, estimate, False, low, high)
        return ColumnTally(facts, bytes_found)
    counted = collect(scan.group_by(name).len())
    distinct = counted.height - (1 if counted[name].null_count() else 0)
    kept = tuple(ValueCount(v, int(n)) for v, n in most_frequent(counted, name).iter_rows())
    facts = ColumnFacts(name, column.nulls, distinct, True, low, high, kept)
    size = text_bytes(counted, name) if is_text(plan.field.type) else 0
    return ColumnTally(facts, size, counted)


def text_bytes(counted: pl.DataFrame, name: str | None) -> int:
    """The bytes of a text column's values, from its values (``name``, or the frame's first
    column) and their rows (``len``)."""
    values = counted[name or counted.columns[0]].str.len_bytes().cast(pl.UInt64)
    return int((values * counted["len"].cast(pl.UInt64)).sum() or 0)


def extremes(scan: pl.LazyFrame, name: str) -> tuple[Any, Any]:
    """The minimum and maximum of a column whose footers do not record them all."""
    row = collect(scan.select(low=pl.col(name).min(), high=pl.col(name).max())).row(0)
    return row[0], row[1]


def ranked(counts: Iterable[ValueCount]) -> list[ValueCount]:
    """Most frequent first; ties by value, NULL first."""
    return sorted(counts, key=lambda c: (-c.rows, c.value is not None, c.value))


def most_frequent(counted: pl.DataFrame, name: str) -> pl.DataFrame:
    """The first :data:`VOCABULARY_LIMIT` of a column's rows per value (``name``, ``len``)
    as :func:`ranked` orders them (text by its UTF-8 bytes: the order of its characters)."""
    value = pl.col(name)
    order = [pl.col("len"), value.is_not_null(), value]
    return counted.sort(order, descending=[True, False, False]).head(VOCABULARY_LIMIT)


# ---- rows per key and joins -------------------------------------------------------------


def rows_per(table: str, key: str, shards: Shards, flags: Sequence[str] = ()) -> pl.DataFrame:
    """A table's rows per non-NULL value of ``key`` (columns ``key`` and ``len``), and
    whether any of them has each boolean column of ``flags`` true."""
    rows = shards.scan(table).select(key, *flags).drop_nulls(key).group_by(key)
    return collect(rows.agg(pl.len(), *(pl.col(flag).any() for flag in flags)))


def decision_counts(per_action: pl.DataFrame) -> DecisionCounts:
    """The actions with a rejection row citing each decision, and any of them."""
    cited = per_action.select(
        *(pl.col(flag).sum() for flag in CASE_LAW_FLAGS),
        any_decision=pl.any_horizontal(CASE_LAW_FLAGS).sum(),
    ).row(0, named=True)
    found = tuple(int(cited[flag]) for flag in CASE_LAW_FLAGS)
    return DecisionCounts(found, int(cited["any_decision"]))


@dataclass
class TextTally:
    """The bytes and sampled hashes of a free-text column, added up batch by batch (see
    :meth:`ColumnPlan.expressions` for the same counts in one query)."""

    plan: ColumnPlan
    bytes: int = 0
    hashes: list[pl.Series] = field(default_factory=list)

    def add(self, values: pl.Series, hashes: pl.Series) -> None:
        """A batch of the column's values and their hashes (by :data:`SEED`)."""
        self.bytes += int(values.str.len_bytes().sum() or 0)
        self.hashes.append(hashes.filter(values.is_not_null() & (hashes < self.plan.threshold())))

    def found(self) -> dict[str, int]:
        """What the column's scan would have found (see :func:`column_tally`)."""
        name = self.plan.name
        sampled = pl.concat(self.hashes).n_unique() if self.hashes else 0
        return {f"{name}:bytes": self.bytes, f"{name}:sampled": sampled}


def citations_per_application(
    shards: Shards, cited: ColumnPlan
) -> tuple[pl.DataFrame, int, dict[str, int]]:
    """Citation rows per ``app_id``, and the rows that repeat (``app_id``,
    ``citation_pat_pgpub_id``), in one pass over the rows in ``app_id`` order, which also
    takes the bytes and hash sample of ``citation_pat_pgpub_id`` when it is sampled
    (``cited``: decoded once).

    Repeats are found within each application's rows, on a 44-bit hash of the citation:
    a miscount needs two different citations of one application with the same hash, a
    chance of about one in twenty thousand at the full dataset's size (2.2 million
    applications of some 27 citations).
    """
    per_key: list[pl.DataFrame] = []
    repeated = 0
    tally = TextTally(cited) if cited.sampled else None
    for frame in key_groups(shards.paths["citations"], "app_id", PAIR):
        runs = frame["app_id"].rle().struct.unnest()
        per_key.append(runs.select(app_id="value", len="len"))
        values = frame["citation_pat_pgpub_id"]
        hashes = values.hash(SEED)
        repeated += rows_in_groups(within_runs(frame["app_id"], hashes // (1 << RUN_BITS)))
        if tally is not None:
            tally.add(values, hashes)
    found = tally.found() if tally is not None else {}
    if not per_key:
        return pl.DataFrame(schema={"app_id": pl.String, "len": pl.UInt32}), repeated, found
    return pl.concat(per_key), repeated, found


def parsed_pass(shards: Shards, plan: ColumnPlan) -> tuple[tuple[ValueCount, ...], dict[str, int]]:
    """The lengths of ``parsed``'s values, its bytes and hash sample, in one pass (decoded
    once), when it is sampled; else nothing: its values are counted (:func:`lengths_of`)."""
    if not plan.sampled:
        return (), {}
    tally = TextTally(plan)
    histogram = np.zeros(0, np.int64)
    values = shards.scan("citations").select(plan.name)
    for frame in values.collect_batches(chunk_size=GROUP_BATCH_ROWS, maintain_order=False):
        column = frame[plan.name]
        tally.add(column, column.hash(SEED))
        found = np.bincount(column.drop_nulls().str.len_chars().to_numpy())
        histogram = np.pad(histogram, (0, max(0, len(found) - len(histogram))))
        histogram[: len(found)] += found
    counts = (ValueCount(n, int(rows)) for n, rows in enumerate(histogram) if rows)
    return tuple(ranked(counts)), tally.found()


def within_runs(keys: pl.Series, hashes: pl.Series) -> np.ndarray:
    """A value per row, equal for two rows when they are in one run of equal ``keys`` (the
    batch's rows are in key order) with equal ``hashes`` (of 64 - RUN_BITS bits): the run's
    index above the hash, nearly sorted already, so that sorting them is cheap. (A batch of
    more runs than RUN_BITS count ranks its (run, hash) pairs instead.)"""
    run = keys.rle_id().cast(pl.UInt64).to_numpy()
    if len(run) and run[-1] >> np.uint64(RUN_BITS):  # more runs than bits: rank them
        ordered = np.lexsort((hashes.to_numpy(), run))
        run, hashed = run[ordered], hashes.to_numpy()[ordered]
        distinct = np.concatenate([[True], (run[1:] != run[:-1]) | (hashed[1:] != hashed[:-1])])
        return np.cumsum(distinct).astype(np.uint64)
    return (run << np.uint64(64 - RUN_BITS)) | hashes.to_numpy()


def rows_in_groups(hashes: np.ndarray) -> int:
    """How many of the values occur more than once."""
    ordered = np.sort(hashes)
    same = ordered[1:] == ordered[:-1]
    in_group = np.zeros(len(ordered), bool)
    in_group[1:] |= same
    in_group[:-1] |= same
    return int(in_group.sum())


def rows_per_key(per_key: pl.DataFrame) -> RowsPerKey:
    rows = per_key["len"]
    if not len(rows):
        return RowsPerKey(0, None, None)
    mean, median = rows.cast(pl.Float64).mean(), rows.cast(pl.Float64).median()
    return RowsPerKey(len(rows), cast(float, mean), cast(float | None, median))


def rows_matching(per_key: pl.DataFrame, actions: pl.LazyFrame, how: str) -> int:
    """The rows whose key is (``semi``) or is not (``anti``) one of the office actions'."""
    key = per_key.columns[0]
    matched = per_key.lazy().join(actions.select(key), on=key, how=how)  # type: ignore[arg-type]
    return int(collect(matched.select(pl.col("len").sum())).item() or 0)


def rows_in_repeated_groups(scan: pl.LazyFrame, columns: list[str]) -> int:
    """Rows whose values of ``columns`` occur together in another row too."""
    groups = scan.group_by(columns).len().filter(pl.col("len") > 1)
    return int(collect(groups.select(pl.col("len").sum())).item() or 0)


def repeated_triples(shards: Shards) -> pl.DataFrame:
    """The (``ifw_number``, ``action_type``, ``action_subtype``) triples of more than one
    rejection row, with their rows: candidates by a 64-bit hash, then counted exactly."""
    scan = shards.scan("rejections")
    hashed = pl.struct(TRIPLE).hash(SEED)
    hashes = np.sort(collect(scan.select(hashed.alias("h")))["h"].to_numpy())
    twice = np.unique(hashes[1:][hashes[1:] == hashes[:-1]])
    candidates = scan.filter(hashed.is_in(pl.Series(twice, dtype=pl.UInt64).implode()))
    return collect(candidates.group_by(TRIPLE).len().filter(pl.col("len") > 1))


def rejection_join(shards: Shards, triples: pl.DataFrame) -> tuple[int, int]:
    """Citation rows matching a repeated rejection triple, and the rows the citations →
    rejections join adds for them (``action_subtype`` matched NULL-safe)."""
    if not len(triples):
        return 0, 0
    named = pl.col("ifw_number").is_in(triples["ifw_number"].unique().implode())
    joined = shards.scan("citations").select(TRIPLE).filter(named)
    joined = joined.join(triples.lazy(), on=TRIPLE, how="inner", nulls_equal=True)
    found = collect(joined.select(rows=pl.len(), added=(pl.col("len") - 1).sum())).row(0)
    return int(found[0]), int(found[1] or 0)


# ---- office actions per month -----------------------------------------------------------


def technology_center(prefix: str | None) -> str:
    """``16xx`` for an art unit whose first two characters are digits, else :data:`OTHER`."""
    if prefix is None or len(prefix) < 2 or not prefix[:2].isdigit():
        return OTHER
    return f"{prefix[:2]}xx"


def months(actions: pl.LazyFrame) -> tuple[MonthCount, ...]:
    """Office actions per mail month, document code and technology center, with the
    actions carrying each flag; ordered by month (NULL first), code and center."""
    grouped = actions.group_by(
        pl.col("mail_dt").dt.truncate("1mo").alias("month"),
        "document_cd",
        pl.col("art_unit").str.slice(0, 2).alias("prefix"),
    ).agg(pl.len().alias("actions"), *(pl.col(f).sum().alias(f) for f in FLAGS))
    merged: dict[tuple, np.ndarray] = defaultdict(lambda: np.zeros(1 + len(FLAGS), np.int64))
    for row in collect(grouped).iter_rows(named=True):
        key = (row["month"], row["document_cd"], technology_center(row["prefix"]))
        merged[key] += [row["actions"], *(row[f] or 0 for f in FLAGS)]
    order = sorted(merged, key=lambda k: tuple((v is not None, v or "") for v in k))
    return tuple(month_count(key, merged[key]) for key in order)


def month_count(key: tuple, counts: np.ndarray) -> MonthCount:
    month, code, center = key
    return MonthCount(month, code, center, int(counts[0]), tuple(int(n) for n in counts[1:]))

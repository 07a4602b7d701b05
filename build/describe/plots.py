"""The card's figures: PNG files under the release's ``images/``, drawn from the numbers
the describe stage measured in the release (as the report's ``statistics.figures`` holds
them, :func:`.statistics.figure_data`), and the card's section that shows them.

matplotlib is imported only when a figure is drawn (other commands do not pay for it) and
draws with its Agg renderer, at a fixed size and resolution, without the PNG's Software
text: the same numbers give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptoffact_build.describe.caselaw import DECISIONS, ELIGIBILITY_CENTERS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

IMAGES = "images"
SIZE, DPI = (8.0, 4.5), 240  # 1920 x 1080 pixels: sharp in print, scaled down on the Hub
STYLE: dict[Any, Any] = {  # matplotlib settings while drawing
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "ptoffact",
}
FLOOR = 0.01  # the time axis leaves out end periods with fewer actions than this share of
# the busiest period's
MIN_ACTIONS = 20  # a period with fewer actions shows no shares
INSIDE = 0.35  # a bar at least this share of the longest carries its label inside
# the decisions as the captions name them: "Bilski v. Kappos (2010-06-28), ... and Alice v. CLS
# Bank (2014-06-19, solid)" (the last drawn as a solid line)
DECISIONS_MARKED = (
    ", ".join(f"{d.case} ({d.decided})" for d in DECISIONS[:-1])
    + f" and {DECISIONS[-1].case} ({DECISIONS[-1].decided}, solid)"
)
GROUND_NAMES = {
    "rejection_101": "101 (eligibility, utility)",
    "rejection_102": "102 (novelty)",
    "rejection_103": "103 (obviousness)",
    "rejection_112": "112 (disclosure, clarity)",
    "rejection_dp": "double patenting",
}
CENTER_NAMES = {
    "16xx": "biotechnology, organic chemistry",
    "17xx": "chemical, materials engineering",
    "21xx": "computer architecture, software",
    "24xx": "networks, multiplexing, video",
    "26xx": "communications",
    "28xx": "semiconductors, electrical, optical",
    "29xx": "designs",
    "36xx": "transportation, construction, e-commerce",
    "37xx": "mechanical engineering, manufacturing",
}
SOURCE_NAMES = {
    "form892": "examiner's PTO-892",
    "form1449": "applicant's IDS (PTO-1449)",
    "citation_in_oa": "Office action text",
    "none": "none of the three",
}


@dataclass(frozen=True)
class Plot:
    """A figure of the card: its file stem, title (its alt text too) and caption; ``missing``
    says why it was not drawn (empty when it was)."""

    name: str
    title: str
    caption: str
    missing: str = ""

    @property
    def path(self) -> str:
        return f"{IMAGES}/{self.name}.png"


# ---- the numbers behind the figures ------------------------------------------------------


def core_window(totals: Sequence[int], floor: float = FLOOR) -> tuple[int, int]:
    """The slice ``[start, stop)`` of periods left after dropping, from each end, the periods
    with fewer actions than ``floor`` times the busiest period's (stray early or late dates,
    bars too low to see)."""
    least = floor * max(totals, default=0)
    start, stop = 0, len(totals)
    while start < stop and totals[start] < least:
        start += 1
    while stop > start and totals[stop - 1] < least:
        stop -= 1
    return start, stop


def month_position(label: str) -> float:
    """``2010-06`` as a year with a fraction: the middle of the month."""
    year, month = label.split("-")
    return int(year) + (int(month) - 0.5) / 12


def quarter_position(label: str) -> float:
    """``2010Q2`` as a year with a fraction: the middle of the quarter."""
    year, quarter = label.split("Q")
    return int(year) + (int(quarter) - 0.5) / 4


def quarter_index(label: str) -> int:
    """``2010Q2`` as the number of quarters since the year 0: 8041."""
    year, quarter = label.split("Q")
    return 4 * int(year) + int(quarter) - 1


def day_position(day: date) -> float:
    start = date(day.year, 1, 1)
    return day.year + (day - start).days / (date(day.year + 1, 1, 1) - start).days


def outside_note(rows: list[dict[str, Any]], start: int, stop: int, key: str) -> str:
    """A sentence counting the actions left outside the window, if any."""
    before = sum(r["office_actions"] for r in rows[:start])
    after = sum(r["office_actions"] for r in rows[stop:])
    sides = [f"before {rows[start][key]}"] if before else []
    sides += [f"after {rows[stop - 1][key]}"] if after else []
    if not sides:
        return ""
    return (
        f" {before + after:,} actions mailed {' or '.join(sides)} are left out of the axis (the "
        f"{key}s at its ends with fewer than {FLOOR:.0%} of the busiest {key}'s actions)."
    )


def with_gaps(x: list[float], y: list[float], step: float) -> tuple[list[float], list[float]]:
    """The points with a NaN between two that are more than one period apart (a period
    without actions), so that a line breaks there."""
    xs: list[float] = []
    ys: list[float] = []
    for i, (a, b) in enumerate(zip(x, y, strict=True)):
        if i and a - x[i - 1] > 1.5 * step:
            xs.append((a + x[i - 1]) / 2)
            ys.append(float("nan"))
        xs.append(a)
        ys.append(b)
    return xs, ys


# ---- drawing -----------------------------------------------------------------------------


def new_figure() -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    return figure, figure.add_subplot()


def save(figure: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def thousands(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def compact(value: float, _: Any = None) -> str:
    """A tick label short enough for a crowded axis: 40,000 as 40k, 2,500,000 as 2.5M."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:g}k"
    return f"{value:,.0f}"


def year_axis(axes: Axes, low: float, high: float) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.set_xlim(low, high)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=12, integer=True))
    axes.set_xlabel("Mail date of the action")


def draw_months(rows: list[dict[str, Any]], path: Path, title: str) -> str:
    """Stacked bars of actions per mail month, one colour per document code."""
    if not sum(r["office_actions"] for r in rows):
        raise NothingToDraw("no Office action with a mail date in this build")
    start, stop = core_window([r["office_actions"] for r in rows])
    shown = rows[start:stop]
    codes = [k for k in shown[0] if k not in ("month", "office_actions")]
    figure, axes = new_figure()
    x = [month_position(r["month"]) for r in shown]
    base = [0] * len(shown)
    for code in codes:
        heights = [r[code] for r in shown]
        axes.bar(x, heights, width=1 / 12 * 0.9, bottom=base, label=code, linewidth=0)
        base = [b + h for b, h in zip(base, heights, strict=True)]
    year_axis(axes, x[0] - 1 / 12, x[-1] + 1 / 12)
    axes.set_ylabel("Office actions per month")
    thousands(axes.yaxis)
    axes.set_title(title)
    axes.legend(title="document_cd", loc="upper left", frameon=False)
    save(figure, path)
    return outside_note(rows, start, stop, "month")


def mark_decisions(axes: Axes) -> None:
    """A vertical line at each Supreme Court decision on eligibility, named above the axes."""
    from matplotlib.transforms import blended_transform_factory

    low, high = axes.get_xlim()
    above = blended_transform_factory(axes.transData, axes.transAxes)
    for decision in DECISIONS:
        x = day_position(decision.decided)
        if not low <= x <= high:
            continue
        alice = decision.name == "Alice"
        axes.axvline(
            x,
            color="black" if alice else "0.45",
            linestyle="-" if alice else (0, (4, 3)),
            linewidth=1.6 if alice else 1.0,
            zorder=1,
        )
        axes.text(
            x,
            1.01,
            decision.name,
            transform=above,
            ha="center",
            va="bottom",
            fontsize=10,
            fontweight="bold" if alice else "normal",
        )


def draw_shares(
    rows: list[dict[str, Any]],
    path: Path,
    title: str,
    key: str,
    position: Callable[[str], float],
    per: str,
) -> str:
    """Lines of the share of actions raising each ground per period (``per``: quarter, year),
    the eligibility decisions marked. A period with fewer than MIN_ACTIONS actions has no
    share: the axis spans the first to the last period with one, the others are gaps."""
    enough = [i for i, r in enumerate(rows) if r["office_actions"] >= MIN_ACTIONS]
    if not enough:
        raise NothingToDraw(f"no {per} with {MIN_ACTIONS} Office actions or more in this build")
    shown = rows[enough[0] : enough[-1] + 1]
    figure, axes = new_figure()
    x = [position(str(r[key])) for r in shown]
    step = 1 / 4 if per == "quarter" else 1
    for ground, label in GROUND_NAMES.items():
        shares = [
            100 * r[ground] / r["office_actions"]
            if r["office_actions"] >= MIN_ACTIONS
            else float("nan")
            for r in shown
        ]
        eligibility = ground == "rejection_101"
        axes.plot(
            *with_gaps(x, shares, step),
            label=label,
            linewidth=2.4 if eligibility else 1.5,
            marker="o" if per == "year" else None,
            markersize=4,
            zorder=3 if eligibility else 2,
        )
    year_axis(axes, x[0] - step / 2, x[-1] + step / 2)
    finish_shares(figure, axes, path, title, "Share of the actions (%)", 3)
    few = too_few(rows)
    return f" On this build {few:,} actions fall in such {per}s." if few else ""


def finish_shares(
    figure: Figure, axes: Axes, path: Path, title: str, ylabel: str, ncols: int
) -> None:
    """A chart of shares finished and saved: 0 to 100 %, a grid, the decisions marked, the
    title, the legend below in ``ncols`` columns."""
    axes.set_ylim(0, 100)
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", color="0.9")
    mark_decisions(axes)
    axes.set_title(title, pad=22)
    figure.legend(loc="outside lower center", ncols=ncols, frameon=False)
    save(figure, path)


def too_few(rows: list[dict[str, Any]]) -> int:
    """The actions of the rows (periods) with too few actions to show a share."""
    return sum(r["office_actions"] for r in rows if r["office_actions"] < MIN_ACTIONS)


def bar_share(part: int, whole: int) -> str:
    """A bar's share to one decimal, a small one that would round to 0.0 % as < 0.1 %."""
    share = 100 * part / whole
    return "< 0.1 %" if 0 < share < 0.05 else f"{share:.1f} %"


def draw_bars(
    labels: list[str], values: list[int], whole: int, path: Path, title: str, axis: str
) -> None:
    """Horizontal bars, the first label on top, each bar with its count and share of
    ``whole``: inside the bar's end when it is long, just past it when short. The axis ends
    at the longest bar."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    if not whole or not values:
        raise NothingToDraw("no rows to count in this build")
    figure, axes = new_figure()
    positions = list(range(len(labels)))[::-1]
    axes.barh(positions, values, color="#4c72b0", height=0.7)
    axes.set_yticks(positions, labels)
    longest = max(values) or 1
    for y, value in zip(positions, values, strict=True):
        text = f"{value:,} ({bar_share(value, whole)})"
        inside = value >= INSIDE * longest
        axes.text(
            value,
            y,
            f"{text} " if inside else f" {text}",
            va="center",
            ha="right" if inside else "left",
            color="white" if inside else "black",
            fontsize=10,
        )
    axes.set_xlim(0, longest)
    axes.xaxis.set_major_locator(MaxNLocator(nbins=5))
    axes.xaxis.set_major_formatter(FuncFormatter(compact))
    axes.set_xlabel(axis)
    axes.set_title(title)
    save(figure, path)


def center_label(center: str) -> str:
    """``16xx biotechnology, organic chemistry``: a center with its name, when known."""
    return f"{center} {CENTER_NAMES.get(center, '')}".strip()


def draw_centers(rows: list[dict[str, Any]], path: Path, title: str) -> str:
    labels = [center_label(r["center"]) for r in rows]
    values = [r["office_actions"] for r in rows]
    draw_bars(labels, values, sum(values), path, title, "Office actions")
    return ""


def draw_sources(data: dict[str, Any], path: Path, title: str) -> str:
    rows = data["citations_by_source"]
    labels = [SOURCE_NAMES.get(r["source"], r["source"]) for r in rows]
    values = [r["citations"] for r in rows]
    draw_bars(labels, values, data["citation_rows"] or 0, path, title, "Citation rows")
    several = data["citations_in_several_sources"] or 0
    return f" On this build {several:,} citation rows are in more than one place."


def draw_centers_101(rows: list[dict[str, Any]], path: Path, title: str) -> str:
    """Lines of the share of a center's actions raising a 101 rejection, per quarter, for
    each of :data:`.caselaw.ELIGIBILITY_CENTERS`, the decisions marked. A quarter with fewer
    than MIN_ACTIONS actions of a center has no share (a gap in its line)."""
    enough = [r for r in rows if r["office_actions"] >= MIN_ACTIONS]
    if not enough:
        raise NothingToDraw(
            f"no quarter with {MIN_ACTIONS} Office actions or more in one of these centers"
        )
    indices = sorted({quarter_index(r["quarter"]) for r in enough})
    span = range(indices[0], indices[-1] + 1)
    x = [(i + 0.5) / 4 for i in span]  # the middle of each quarter, as quarter_position
    first, last = x[0], x[-1]
    figure, axes = new_figure()
    for center in ELIGIBILITY_CENTERS:
        mine = {quarter_index(r["quarter"]): r for r in rows if r["center"] == center}
        shares = [share_in(mine.get(i)) for i in span]
        axes.plot(*with_gaps(x, shares, 1 / 4), label=center_label(center), linewidth=1.8)
    year_axis(axes, first - 1 / 8, last + 1 / 8)
    finish_shares(figure, axes, path, title, "Actions raising a 101 rejection (%)", 2)
    few = too_few(rows)
    return f" On this build {few:,} of their actions fall in such quarters." if few else ""


def share_in(row: dict[str, Any] | None) -> float:
    """A quarter's 101 share in percent; NaN when it has too few actions to show one."""
    if row is None or row["office_actions"] < MIN_ACTIONS:
        return float("nan")
    return 100 * row["rejection_101"] / row["office_actions"]


# ---- the figures of a release ------------------------------------------------------------

PLOTS = {
    "actions_per_month": Plot(
        "actions_per_month",
        "Office actions per mail month, by document code",
        "Each bar is one calendar month of mail dates, split by `document_cd` (CTNF non-final, "
        "CTFR final rejection); its height is the number of actions mailed that month. The "
        "USPTO's data holds applications of series 12 to 15 only, so its early years hold "
        "only young applications (older series are absent): the bars show the data's coverage "
        "growing, not the Office's workload.",
    ),
    "grounds_per_quarter": Plot(
        "grounds_per_quarter",
        "Share of Office actions raising each ground of rejection, per quarter",
        "Each line is the share of a quarter's actions whose flag for that ground is true "
        "(`rejection_101` ... `rejection_dp`; NULL counts as not raised); an action may raise "
        "several grounds, so the lines do not add up to 100 %. Vertical lines mark the Supreme "
        f"Court's eligibility decisions {DECISIONS_MARKED}: watch the thick 101 line after "
        f"Alice. Quarters with fewer than {MIN_ACTIONS} actions "
        "show no share: the axis runs from the first to the last quarter with enough actions, "
        "and quarters between them with too few are gaps.",
    ),
    "grounds_per_year": Plot(
        "grounds_per_year",
        "Share of Office actions raising each ground of rejection, per year",
        "The same shares per mail year, as in the table of the year's actions; points sit at "
        "mid-year, between the ticks that mark each year's start. Years with fewer than "
        f"{MIN_ACTIONS} actions show no share, as for quarters.",
    ),
    "grounds_101_by_center": Plot(
        "grounds_101_by_center",
        "Share of Office actions raising a 101 rejection, by technology center",
        "Each line is the share of a technology center's actions in a quarter whose "
        "`rejection_101` is true, for the centers where the eligibility decisions weighed "
        "most: 16xx (biotechnology), 21xx (software), 36xx (e-commerce and business methods) "
        f"and 37xx (mechanical engineering). Vertical lines mark {DECISIONS_MARKED}. "
        "A quarter with fewer than "
        f"{MIN_ACTIONS} actions of a center shows no share for it (a gap in its line).",
    ),
    "actions_by_technology_center": Plot(
        "actions_by_technology_center",
        "Office actions by technology center",
        "Actions per technology center, the first two digits of `art_unit` (16xx is art units "
        "1600-1699); the names are the USPTO's centers, shortened; `other` holds art units "
        "that do not start with two digits. Each bar gives its count and share of all actions.",
    ),
    "citations_by_source": Plot(
        "citations_by_source",
        "Citations by where the reference appears",
        "Citation rows whose flag is true: `form892` (on the examiner's Notice of References "
        "Cited, PTO-892), `form1449` (on the applicant's information disclosure statement), "
        "`citation_in_oa` (cited in the text of the Office action); none of the three counts "
        "rows where no flag is true. Each bar gives its count and share of all citation rows; a "
        "reference may appear in several places, so the bars can add up to more than the rows.",
    ),
}


class NothingToDraw(Exception):
    """A figure has no data in this build; the message says why."""


def draw_one(plot: Plot, folder: Path, draw: Callable[[Path, str], str]) -> Plot:
    """Draw one figure (titled as the card's heading), or say why there is none."""
    try:
        note = draw(folder / f"{plot.name}.png", plot.title)
    except NothingToDraw as reason:
        return Plot(plot.name, plot.title, plot.caption, str(reason))
    return Plot(plot.name, plot.title, plot.caption + note)


def month_totals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Monthly rows with their total, ``office_actions``."""
    return [{**r, "office_actions": sum(v for k, v in r.items() if k != "month")} for r in rows]


def draw_figures(folder: Path, data: dict[str, Any], per_year: list[dict[str, Any]]) -> list[Plot]:
    """Draw every figure into ``folder`` (the release's ``images/``); the Plots, drawn or not."""
    import matplotlib

    months = month_totals(data["per_mail_month_by_document_cd"])
    quarters = data["per_mail_quarter"]
    work: list[tuple[str, Callable[[Path, str], str]]] = [
        ("actions_per_month", lambda p, t: draw_months(months, p, t)),
        (
            "grounds_per_quarter",
            lambda p, t: draw_shares(quarters, p, t, "quarter", quarter_position, "quarter"),
        ),
        (
            "grounds_per_year",
            lambda p, t: draw_shares(per_year, p, t, "year", lambda y: int(y) + 0.5, "year"),
        ),
        (
            "grounds_101_by_center",
            lambda p, t: draw_centers_101(data["per_mail_quarter_by_center"], p, t),
        ),
        (
            "actions_by_technology_center",
            lambda p, t: draw_centers(data["per_technology_center"], p, t),
        ),
        ("citations_by_source", lambda p, t: draw_sources(data, p, t)),
    ]
    with matplotlib.rc_context(STYLE):
        return [draw_one(PLOTS[name], folder, draw) for name, draw in work]


def figures_section(plots: list[Plot]) -> str:
    """The card's Figures section: each drawn figure with its caption, or why it is missing."""
    lines = [
        "## Figures (measured on this build)",
        "",
        "Drawn from counts measured in the release's Parquet shards; the numbers behind each "
        "figure are in `validation_report.json` under `statistics.figures`.",
    ]
    for plot in plots:
        lines += ["", f"### {plot.title}", ""]
        if plot.missing:
            lines.append(f"No figure: {plot.missing}.")
            continue
        lines += [f"![{plot.title}]({plot.path})", "", f"*{plot.caption}*"]
    return "\n".join(lines)

"""The card's "Limitations" section: what the USPTO's text mining gets wrong, flag by flag.

Every statement restates what is known about the source data; what is inferred rather than
stated says so.
"""

from __future__ import annotations

RELIABILITY_FLAGS = {
    "header_missing": "the action lacks the standard headings",
    "fp_missing": "the action has no form paragraphs",
    "closing_missing": "the action has no closing paragraph",
    "rejection_fp_mismatch": "the rejections named in the action's sentences do not match "
    "its form paragraphs",
}

LIMITATIONS = [
    "Every value was extracted by the USPTO's text mining of the Office action documents, "
    "and no Office action text is included: a value cannot be checked against its document "
    "here, and a flag records what the mining found, not what the action says.",
    "The rejection flags (`rejection_101`, `rejection_102`, `rejection_103`, "
    "`rejection_112`, `rejection_dp`), `objection`, `allowed_claims` and the citation "
    "counts (`cite102_gt1`, `cite103_gt3`, `cite103_eq1`, `cite103_max`) come from the same "
    "mining and share its errors. `allowed_claims` says whether the action holds allowable "
    "claims; it is a flag, not a count.",
    "In `rejections`, the full vocabularies of `action_type` and `action_subtype` are not "
    "documented (the values seen are under Known quirks); `action_subtype` holds bare "
    "paragraph letters such as `a` (not `103(a)`), keywords, or NULL. The triple (`ifw_number`, "
    "`action_type`, `action_subtype`) is almost, but not quite, unique. `alice_in`, "
    "`bilski_in`, `mayo_in` and `myriad_in` say whether the decision is cited in the "
    "action text.",
    "In `citations`, `citation_pat_pgpub_id` is the reference as written (messy free text) "
    "and `parsed` its normalised patent or publication number. The meanings of `form892`, "
    "`form1449` and `citation_in_oa` are inferred, not stated by the USPTO. In the full data "
    "about 0.54% of citation rows have an `app_id` absent from `office_actions`, and "
    "`ifw_number` is NULL for citations not tied to a rejection (inferred).",
    "About 1.7% of applications in the full data have two `office_actions` rows on the same "
    "first-action date with different `ifw_number`s, concentrated from October 2015 to "
    "March 2016: most likely an export duplicate (inferred). Some `mail_dt` values precede "
    "2008, as early as 2001-01-01.",
    "Coverage: only Non-Final (`CTNF`) and Final (`CTFR`) rejection Office actions, for "
    "applications of series 12 to 15, mailed up to mid-2017; the USPTO has not changed the "
    "data since its release on 2017-11-29.",
]


def limitations_section() -> str:
    """The section's Markdown: the reliability flags, then what else the mining gets wrong."""
    lines = [
        "## Limitations",
        "",
        "Four flags of `office_actions` mark the actions whose parsing is less reliable; "
        "consider leaving them out where a wrong value would matter:",
        "",
    ]
    lines += [f"- `{flag}` = 1: {meaning}." for flag, meaning in RELIABILITY_FLAGS.items()]
    lines += ["", "Beyond those:", ""]
    lines += [f"- {text}" for text in LIMITATIONS]
    return "\n".join(lines)

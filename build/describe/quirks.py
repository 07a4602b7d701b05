"""The known quirks of the data, as measured in a release: facts to report, not errors.

Domains the reference only infers (vocabularies, the date range, near-keys) are measured
instead of being declared as constraints. Each quirk is a count over the release's rows,
rendered here from :class:`.facts.ReleaseFacts` (for the report's ``quirks`` and the card's
Known quirks table) with the note that says what it measures.
"""

from __future__ import annotations

from typing import Any

from ptoffact_build.describe.facts import ColumnFacts, ReleaseFacts, ValueCount
from ptoffact_build.describe.statistics import extreme, mailed_before

FIRST_YEAR_COVERED = 2008  # the dataset covers actions mailed 2008 to mid-2017


def top(counts: tuple[ValueCount, ...] | None) -> dict[str, int]:
    """Counted values, most frequent first, NULL as ``""`` (the schemas read an empty CSV
    cell as NULL, so the Parquet never holds an empty string)."""
    return {"" if c.value is None else str(c.value): c.rows for c in counts or ()}


def vocabulary(column: ColumnFacts) -> dict[str, int]:
    return top(column.counts)


def quirks_json(facts: ReleaseFacts) -> dict[str, dict[str, Any]]:
    """Each table's quirks, in the order the report and the card list them."""
    actions = facts.office_action_quirks
    dates = facts.column("office_actions", "mail_dt")
    rejections = facts.rejection_quirks
    citations = facts.citation_quirks
    return {
        "office_actions": {
            "mail_dt_first": extreme(dates.low),
            "mail_dt_last": extreme(dates.high),
            "mail_dt_before_2008": mailed_before(facts.figures, FIRST_YEAR_COVERED),
            "same_day_duplicate_rows": actions.same_day_duplicate_rows,
            "art_unit_non_numeric": actions.art_unit_non_numeric,
            "art_unit_lengths": top(actions.art_unit_lengths),
            "uspc_class_lengths": top(actions.uspc_class_lengths),
            "document_cd": vocabulary(facts.column("office_actions", "document_cd")),
        },
        "rejections": {
            "action_type": vocabulary(facts.column("rejections", "action_type")),
            "action_subtype": vocabulary(facts.column("rejections", "action_subtype")),
            "colliding_triple_rows": rejections.colliding_triple_rows,
            "claim_numbers_empty": facts.column("rejections", "claim_numbers").nulls,
            "claim_numbers_not_a_plain_list": rejections.claim_numbers_not_a_plain_list,
        },
        "citations": {
            "app_id_not_in_office_actions": citations.app_id_not_in_office_actions,
            "ifw_number_empty": facts.column("citations", "ifw_number").nulls,
            "ifw_number_not_in_office_actions": citations.ifw_number_not_in_office_actions,
            "repeated_app_citation_rows": citations.repeated_app_citation_rows,
            "action_type": vocabulary(facts.column("citations", "action_type")),
            "parsed_lengths": top(citations.parsed_lengths),
        },
    }


QUIRK_NOTES = {
    "mail_dt_first": "Earliest mail date of an Office action.",
    "mail_dt_last": "Latest mail date of an Office action.",
    "art_unit_lengths": "Art units by length in characters (most are 4 digits).",
    "uspc_class_lengths": "USPC classes by length in characters (zero-padded text).",
    "document_cd": "Office actions by document code: CTNF non-final, CTFR final.",
    "rejections.action_type": "Rejection rows by action_type, most frequent first "
    "(the vocabulary is not documented).",
    "rejections.action_subtype": "Rejection rows by action_subtype, most frequent first; "
    "NULL where the row has none (filter with IS NULL, not = '').",
    "claim_numbers_empty": "Rejection rows whose claim_numbers is NULL (no claims listed).",
    "ifw_number_empty": "Citations whose ifw_number is NULL: not tied to an Office action's "
    "rejection.",
    "citations.action_type": "Citation rows by action_type, most frequent first; NULL where "
    "the citation is not tied to a rejection.",
    "parsed_lengths": "Non-NULL parsed reference numbers by length: 7 a US patent, 11 a "
    "pre-grant publication.",
    "mail_dt_before_2008": "Office actions dated before 2008 "
    "(the dataset covers 2008 to mid-2017).",
    "same_day_duplicate_rows": "Rows that share app_id and mail_dt with another row "
    "(two actions on the same day, likely an export duplicate).",
    "art_unit_non_numeric": "Art units that are not all digits.",
    "colliding_triple_rows": "Rejection rows that share (ifw_number, action_type, "
    "action_subtype) with another row.",
    "claim_numbers_not_a_plain_list": "Claim lists that are not plain comma-separated numbers.",
    "app_id_not_in_office_actions": "Citations whose app_id has no Office action in the data.",
    "ifw_number_not_in_office_actions": "Citations whose ifw_number is not an Office action "
    "in the data.",
    "repeated_app_citation_rows": "Citation rows that repeat (app_id, citation_pat_pgpub_id).",
}


def quirk_note(table: str, name: str) -> str:
    """What a quirk row measures: the note for this table's measure, else the shared one."""
    return QUIRK_NOTES.get(f"{table}.{name}") or QUIRK_NOTES.get(name, "")

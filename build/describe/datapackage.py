"""Data package descriptors (``datapackage.json``) and the facts every document shares.

Nothing here is written by hand per field: every description, type and constraint comes
from ``schema/<table>.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ptoffact_build import __version__
from ptoffact_build.contents import files_block
from ptoffact_build.describe.summary import TITLE, BuildSummary
from ptoffact_build.filerecord import FileRecord
from ptoffact_build.schema import TABLES, TableSchema, load_schema

if TYPE_CHECKING:
    from ptoffact_build.describe.facts import ReleaseFacts
    from ptoffact_build.describe.record import ReleaseRecord

DATAPACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PORTAL_PRODUCT = "https://data.uspto.gov/bulkdata/datasets/ptoffact"
PAPER_URL = "https://papers.ssrn.com/sol3/papers.cfm?abstract_id=3024621"
# The project's own repository. A placeholder until the repository has its public address:
# the card's links and the @software citation take it from here.
PROJECT_URL = "https://github.com/ptoffact/ptoffact"
SUMMARY = (
    "4.4 million Non-Final and Final rejection Office actions mailed 2008 to mid-2017 for "
    "2.2 million US patent applications, with 10.1 million rejections and 58.9 million "
    "citations, extracted by the USPTO from the text of the actions. Every row is checked "
    "against a Frictionless Table Schema; identifiers stay text, dates are dates, flags are "
    "booleans."
)
LICENSE = {
    "name": "CC0-1.0",
    "path": "https://creativecommons.org/publicdomain/zero/1.0/",
    "title": "Creative Commons Zero v1.0 Universal",
}
# Pinned in full (Table Dialect names), so frictionless reads the files as ptoffact does
# instead of guessing the dialect from a sample (e.g. skipping spaces after a delimiter).
CSV_DIALECT = {
    "delimiter": ",",
    "lineTerminator": "\n",
    "quoteChar": '"',
    "doubleQuote": True,
    "skipInitialSpace": False,
    "header": True,
    "headerRows": [1],
}

BIBTEX_PAPER = """@techreport{lu2017officeactions,
  author      = {Lu, Qiang and Myers, Amanda F. and Beliveau, Scott},
  title       = {{USPTO} Patent Prosecution Research Data: Unlocking Office Action Traits},
  institution = {United States Patent and Trademark Office},
  type        = {Economic Working Paper},
  number      = {2017-10},
  year        = {2017},
  url         = {https://papers.ssrn.com/sol3/papers.cfm?abstract_id=3024621}
}"""


def bibtex_release(year: int, version: str) -> str:
    """The ``@misc`` entry for a release: its version (which follows its content), the
    build's year, the project's URL and the ptoffact version that built it."""
    return f"""@misc{{ptoffact_release,
  title   = {{{{USPTO}} Office Action Research Dataset ({{PTOFFACT}}), validated and typed}},
  version = {{{version}}},
  year    = {{{year}}},
  url     = {{{PROJECT_URL}}},
  note    = {{Release built by ptoffact {__version__} from the USPTO PTOFFACT product}}
}}"""


def package_header(version: str = __version__) -> dict[str, Any]:
    """The metadata every ptoffact data package shares; ``version`` is a release's (the
    repository's own datapackage has ptoffact's)."""
    return {
        "$schema": DATAPACKAGE_PROFILE,
        "name": "ptoffact",
        "title": TITLE,
        "description": SUMMARY,
        "version": version,
        "licenses": [LICENSE],
        "keywords": ["patents", "USPTO", "office actions", "prior art", "patent examination"],
        "sources": [
            {"title": "USPTO Open Data Portal, product PTOFFACT", "path": PORTAL_PRODUCT},
            {
                "title": "Lu, Myers and Beliveau (2017), USPTO Economic Working Paper 2017-10",
                "path": PAPER_URL,
            },
        ],
    }


def table_resource(schema: TableSchema, entry: FileRecord, **extra: Any) -> dict[str, Any]:
    """A tabular resource whose every row and hash frictionless checks.

    ``entry`` is the CSV file, its path relative to the package.
    """
    resource = {
        "name": schema.name,
        "type": "table",
        "title": schema.title,
        "description": schema.description,
        "path": entry.path.as_posix(),
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": entry.bytes,
        "hash": entry.hash,
        "dialect": CSV_DIALECT,
    }
    if entry.rows is not None:
        resource["rows"] = entry.rows
    resource.update(extra)
    resource["schema"] = schema.frictionless()
    return resource


def datapackage(
    resources: list[dict[str, Any]], version: str = __version__, **extra: Any
) -> dict[str, Any]:
    """A whole data package descriptor."""
    return {**package_header(version), **extra, "resources": resources}


def shard_entry(shard: FileRecord) -> dict[str, Any]:
    """A Parquet shard as a release's datapackage lists it beside its table."""
    return {
        "path": shard.path.as_posix(),
        "bytes": shard.bytes,
        "hash": shard.hash,
        "rows": shard.rows,
    }


def release_datapackage(
    record: ReleaseRecord, facts: ReleaseFacts, files: list[str], version: str
) -> dict[str, Any]:
    """A release's datapackage.json: gzip CSV resources, Parquet shards listed beside them.

    Its title and description are this release's (:class:`.summary.BuildSummary`): its
    counts, and where its sources came from. ``files`` are every file of the release (see
    :mod:`ptoffact_build.contents`); ``version`` is the release's.
    """
    summary = BuildSummary.of(facts, record.sources)
    resources = []
    for table in TABLES:
        written = record.files[table]
        shards = [shard_entry(s) for s in written.shards]
        quarantined: dict[str, Any] = {"rows": record.quarantined[table]}
        if written.quarantine is not None:
            held = written.quarantine
            quarantined.update(path=held.path.as_posix(), bytes=held.bytes, hash=held.hash)
        extra = {"parquet": shards, "quarantined": quarantined}
        resources.append(table_resource(load_schema(table), written.csv, **extra))
    block = {
        "origin": summary.origin.value,
        "sources": [s.to_json() for s in record.sources],
        "policy": record.policy,
        "files": files_block(files),
        "build_id": record.build,
        "citation_year": record.year,
    }
    return datapackage(
        resources, version, title=summary.title, description=summary.description(), ptoffact=block
    )

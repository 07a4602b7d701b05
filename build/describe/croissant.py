"""The release's Croissant metadata (``croissant.json``): MLCommons' JSON-LD description of a
dataset for ML tools and catalogues, with the Responsible-AI (RAI) vocabulary.

Everything is derived: the record sets and their fields from ``schema/<table>.json``, the
files from the release's datapackage (paths, sizes, sha256, version, title, description),
the citation and licence from :mod:`.datapackage`, the limitations from :mod:`.limitations`.
``mlcroissant validate --jsonld croissant.json`` checks it; ``mlcroissant.Dataset`` reads
every table's rows from the Parquet shards beside it.
"""

from __future__ import annotations

import re
from typing import Any

from ptoffact_build.describe.datapackage import (
    BIBTEX_PAPER,
    LICENSE,
    PAPER_URL,
    PORTAL_PRODUCT,
    PROJECT_URL,
)
from ptoffact_build.describe.limitations import LIMITATIONS, RELIABILITY_FLAGS
from ptoffact_build.describe.report import Origin
from ptoffact_build.schema import TABLES, Field, TableSchema, load_schema

CROISSANT = "croissant.json"
CONFORMS_TO = ["http://mlcommons.org/croissant/1.1", "http://mlcommons.org/croissant/RAI/1.0"]
# Croissant 1.1's JSON-LD context: the terms of the specification's Appendix 1 and of
# mlcroissant's (which warns about any of its own that is missing), with schema.org over https
# as mlcroissant and the Hub write it. Inline, so reading it fetches nothing.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "annotation": "cr:annotation",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "excludes": "cr:excludes",
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "readLines": "cr:readLines",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sdVersion": "cr:sdVersion",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "unArchive": "cr:unArchive",
    "value": "cr:value",
}
# Table Schema types as Croissant data types (schema.org classes).
DATA_TYPES = {
    "string": "sc:Text",
    "date": "sc:Date",
    "boolean": "sc:Boolean",
    "integer": "sc:Integer",
}
PARQUET = "application/x-parquet"
USPTO = {
    "@type": "sc:Organization",
    "name": "United States Patent and Trademark Office, Office of the Chief Economist",
    "url": "https://www.uspto.gov",
}
PTOFFACT = {"@type": "sc:Organization", "name": "ptoffact", "url": PROJECT_URL}

MINED = (
    "The USPTO extracted every value by text mining of the Office action documents "
    "(Non-Final and Final rejections, CTNF and CTFR) of patent applications of series 12 "
    f"to 15, mailed 2008 to mid-2017, and released the tables on 2017-11-29 (Lu, Myers and "
    f"Beliveau, 2017: {PAPER_URL}). No Office action text is included."
)
COLLECTION = {
    Origin.PORTAL: f"{MINED} ptoffact fetched the USPTO's files from its Open Data Portal "
    f"({PORTAL_PRODUCT}) and checked and typed every row.",
    Origin.LOCAL: f"{MINED} This release was built by ptoffact from local files in the "
    "USPTO's format; ptoffact did not fetch them and cannot tell whether they are the USPTO's.",
    Origin.SAMPLE: "Synthetic: made-up rows that ship with ptoffact as its sample, written in "
    f"the format of the USPTO's tables, not USPTO data. About the real data it imitates: {MINED}",
}
RAW_DATA = (
    "The USPTO's Office Action Research Dataset (product PTOFFACT): three CSV tables, "
    f"office_actions, rejections and citations, described in {PAPER_URL}."
)
PREPROCESSING = [
    "Every row is validated against the table's Frictionless Table Schema (types, required "
    "values, patterns, vocabularies, primary and foreign keys). A release is written only "
    "when every row passes or, built with --on-error quarantine, with the rows that failed "
    "(and the rows referring to them) set aside in quarantine/<table>.csv and counted in "
    "validation_report.json.",
    "No value is altered beyond its type: identifiers and codes stay text (leading zeros "
    "kept), mail dates become dates, 0/1 flags become booleans, counts and codes become "
    "integers; an empty cell becomes NULL.",
    "The Parquet shards hold each table sorted by app_id, then ifw_number; the gzip CSV "
    "copies hold the same rows for Frictionless.",
]
BIASES = [
    "Coverage is selective: only Non-Final and Final rejections, so applications allowed "
    "without a rejection and every other kind of Office action are absent; only "
    "applications of series 12 to 15, mailed 2008 to mid-2017, so the mix of technologies "
    "and examination practice of those years shapes every count.",
    "Mining errors are not random: actions that depart from the standard layout (missing "
    "headings, form paragraphs or closing, or rejections that do not match the form "
    "paragraphs) are parsed less reliably, and the four reliability flags of "
    "office_actions mark them.",
    "A likely export duplicate (two office_actions rows for the same application and date) "
    "is concentrated from October 2015 to March 2016 and inflates counts there.",
]
USE_CASES = [
    "Research on patent examination: grounds of rejection, prior art cited by examiners "
    "and applicants, the effect of court decisions (Alice, Bilski, Mayo, Myriad) on "
    "rejections.",
    "Training and evaluating tabular models (e.g. predicting a rejection ground from an "
    "application's class, art unit and date), with the limitations above in mind.",
]
PERSONAL = [
    "No names of applicants, inventors or examiners, and no Office action text: application "
    "numbers, document identifiers, codes, dates and flags; signature_type records the "
    "examiner's role, not the person.",
    "citation_pat_pgpub_id holds each cited reference as the action wrote it and sometimes "
    "includes a first inventor's surname, as printed in public patent documents.",
]
MAINTENANCE = (
    "The USPTO released the source data on 2017-11-29 and has not changed it since. A "
    "ptoffact release is rebuilt from those files; its version and SHA256SUMS identify its "
    f"content. Report problems at {PROJECT_URL}/issues."
)
MACHINE_TOOLS = [
    "The USPTO Office of the Chief Economist's text mining of Office action documents "
    f"(described in {PAPER_URL}); it produced every flag and code of the three tables.",
]


def plain(markdown: str) -> str:
    """Markdown prose as plain text: the code marks dropped."""
    return re.sub(r"`([^`]*)`", r"\1", markdown)


def limitations() -> list[str]:
    """The card's Limitations (:mod:`.limitations`) as plain statements."""
    flags = "; ".join(f"{flag}: {meaning}" for flag, meaning in RELIABILITY_FLAGS.items())
    reliability = (
        "Four flags of office_actions mark the actions whose parsing is less reliable "
        f"(true when {flags}); consider leaving those actions out where a wrong value matters."
    )
    return [reliability, *(plain(text) for text in LIMITATIONS)]


def missing_data() -> str:
    """Which columns may be NULL, from the schemas' required constraints."""
    parts = []
    for table in TABLES:
        nullable = [f.name for f in load_schema(table).fields if not f.required]
        parts.append(f"{table}: {', '.join(nullable) if nullable else 'none'}")
    return (
        "An empty cell of the source is NULL; no other value is filled in or imputed. "
        "Columns that may be NULL: " + "; ".join(parts) + "."
    )


def file_set_id(table: str) -> str:
    return f"{table}-parquet"


def parquet_file_set(schema: TableSchema) -> dict[str, Any]:
    """The table's Parquet shards (``data/<table>/``), which the record set reads."""
    return {
        "@type": "cr:FileSet",
        "@id": file_set_id(schema.name),
        "name": f"{schema.name} Parquet shards",
        "description": f"{schema.title}: the table's Parquet shards.",
        "encodingFormat": PARQUET,
        "includes": f"data/{schema.name}/*.parquet",
    }


def csv_file_object(resource: dict[str, Any]) -> dict[str, Any]:
    """The table's gzip CSV copy, as the datapackage's resource lists it."""
    table = resource["name"]
    return {
        "@type": "cr:FileObject",
        "@id": f"{table}-csv",
        "name": resource["path"].rsplit("/", 1)[-1],
        "description": f"{resource['title']}: the same rows as gzip-compressed CSV (UTF-8).",
        "contentUrl": resource["path"],
        "contentSize": f"{resource['bytes']} B",
        "encodingFormat": "text/csv",
        "sha256": resource["hash"].removeprefix("sha256:"),
        "sameAs": file_set_id(table),
    }


def references(schema: TableSchema) -> dict[str, dict[str, Any]]:
    """Each column's reference, from the foreign keys: column -> the referred field."""
    found = {}
    for key in schema.foreign_keys:
        target = key["reference"]
        pairs = zip(as_list(key["fields"]), as_list(target["fields"]), strict=True)
        for column, referred in pairs:
            found[column] = {"field": {"@id": f"{target['resource'] or schema.name}/{referred}"}}
    return found


def as_list(names: str | list[str]) -> list[str]:
    return [names] if isinstance(names, str) else list(names)


def croissant_field(table: str, field: Field, reference: dict[str, Any] | None) -> dict[str, Any]:
    """A column as a Croissant field, read from the column of the table's Parquet shards."""
    entry: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": f"{table}/{field.name}",
        "name": field.name,
        "description": field.description,
        "dataType": DATA_TYPES[field.type],
        "source": {
            "fileSet": {"@id": file_set_id(table)},
            "extract": {"column": field.name},
        },
    }
    if reference is not None:
        entry["references"] = reference
    return entry


def record_set(schema: TableSchema) -> dict[str, Any]:
    """The table as a record set: one field per column, its primary key as the key."""
    refs = references(schema)
    entry: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": schema.name,
        "name": schema.name,
        "description": f"{schema.title}. {schema.description}",
    }
    if schema.primary_key:
        entry["key"] = [{"@id": f"{schema.name}/{name}"} for name in schema.primary_key]
    entry["field"] = [croissant_field(schema.name, f, refs.get(f.name)) for f in schema.fields]
    return entry


def rai_properties(origin: Origin) -> dict[str, Any]:
    """What the Responsible-AI vocabulary asks that is known of this data."""
    return {
        "rai:dataCollection": COLLECTION[origin],
        "rai:dataCollectionType": ["Document analysis", "Software Collection"],
        "rai:dataCollectionRawData": RAW_DATA,
        "rai:dataCollectionMissingData": missing_data(),
        "rai:dataPreprocessingProtocol": PREPROCESSING,
        "rai:machineAnnotationTools": MACHINE_TOOLS,
        "rai:dataLimitations": limitations(),
        "rai:dataBiases": BIASES,
        "rai:dataUseCases": USE_CASES,
        "rai:personalSensitiveInformation": PERSONAL,
        "rai:dataReleaseMaintenancePlan": MAINTENANCE,
    }


def release_croissant(package: dict[str, Any], origin: Origin, year: int) -> dict[str, Any]:
    """A release's croissant.json, from its datapackage (``package``), the origin of its
    sources (which decides whether the USPTO is named a creator and how the data was
    collected) and the year it was built (its publication date, as the card's citation
    gives it: a year, so that the same rows built on another day give the same release)."""
    resources = {r["name"]: r for r in package["resources"]}
    schemas = [load_schema(t) for t in TABLES]
    creators = [USPTO, PTOFFACT] if origin is Origin.PORTAL else [PTOFFACT]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": package["title"],
        "description": package["description"],
        "version": package["version"],
        "license": LICENSE["path"],
        "url": PROJECT_URL,
        "citeAs": BIBTEX_PAPER,
        "creator": creators,
        "datePublished": str(year),
        "keywords": package.get("keywords", []),
        "inLanguage": "en",
        **rai_properties(origin),
        "distribution": [parquet_file_set(s) for s in schemas]
        + [csv_file_object(resources[t]) for t in TABLES],
        "recordSet": [record_set(s) for s in schemas],
    }

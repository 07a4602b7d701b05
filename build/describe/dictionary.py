"""The data dictionary: one Markdown table per table, generated from the schemas.

It appears in each release's card and in the repository's README.
"""

from __future__ import annotations

from ptoffact_build.schema import Field, TableSchema, load_schemas


def constraint_text(schema: TableSchema, field: Field) -> str:
    """A field's constraints and keys in a few words."""
    c = field.constraints
    parts = []
    if field.name in schema.primary_key:
        parts.append("primary key")
    for fk in schema.foreign_keys:
        if field.name in fk["fields"]:
            ref = fk["reference"]
            parts.append(f"→ {ref['resource']}.{ref['fields'][0]}")
    if c.get("required"):
        parts.append("required")
    if "pattern" in c:
        parts.append(f"pattern `{c['pattern']}`")
    if "enum" in c:
        parts.append("one of " + ", ".join(f"`{v}`" for v in c["enum"]))
    for key, word in (
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minimum", "≥"),
        ("maximum", "≤"),
    ):
        if key in c:
            parts.append(f"{word} {c[key]}")
    if field.type == "boolean":
        parts.append(f"`{field.true_values[0]}`/`{field.false_values[0]}` in CSV")
    return "; ".join(parts)


def escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def dictionary_table(schema: TableSchema) -> str:
    """One table's data dictionary as a Markdown table."""
    lines = [
        f"### `{schema.name}`",
        "",
        escape_cell(schema.description),
        "",
        "| column | type | constraints | description |",
        "|---|---|---|---|",
    ]
    for f in schema.fields:
        row = [f"`{f.name}`", f.hf_dtype, constraint_text(schema, f), f.description]
        lines.append("| " + " | ".join(escape_cell(x) for x in row) + " |")
    return "\n".join(lines)


def data_dictionary() -> str:
    """Every table's data dictionary, in table order."""
    return "\n\n".join(dictionary_table(s) for s in load_schemas().values())

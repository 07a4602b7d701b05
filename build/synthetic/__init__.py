"""A synthetic PTOFFACT source at any scale, as the three zips the USPTO distributes.

Scale 1.0 has the real row counts (4,384,532 office actions, 10,133,179 rejections,
58,862,278 citations, 2,188,195 applications); other scales multiply them. Values follow the
forms, cardinalities, null rates and field lengths of the reference's data description; keys
are consistent (every rejections and non-empty citations ifw_number is an office action) and
every row is valid against the Table Schemas.

Applications are generated in chunks (about 1M citation rows each): ``plan`` (row counts and
chunks), ``facts`` (real counts, vocabularies, dates), ``arrays`` (vectorised helpers), one
module per table (``actions``, ``rejections``, ``citations``), ``writer`` (CSV formatting with
Arrow kernels, RFC 4180, quoting only what needs it; one zip writer thread per table, so
formatting and deflate overlap with generation), ``source`` (the driver and where it may
write) and ``command`` (``ptoffact synthesize``). Memory stays bounded at any scale.
Applications come in random app_id order; within one, office actions are (almost always)
chronological.
"""

from __future__ import annotations

from ptoffact_build.synthetic.facts import REAL_APPS, REAL_ROWS
from ptoffact_build.synthetic.plan import MAX_SCALE, Plan, make_plan
from ptoffact_build.synthetic.source import write_source
from ptoffact_build.synthetic.writer import TableStats

__all__ = ["MAX_SCALE", "REAL_APPS", "REAL_ROWS", "Plan", "TableStats", "make_plan", "write_source"]

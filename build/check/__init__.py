"""Checking batches against the Table Schemas: types, constraints, keys, findings."""

"""Describing a release: datapackage, data dictionary, dataset card, validation report."""

"""Fetching the product's files from the USPTO Open Data Portal into a verified cache."""

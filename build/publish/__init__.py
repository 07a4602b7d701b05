"""Checking a release's files and publishing it to the Hugging Face Hub."""

"""Writing a release's files: rows in key order, Parquet shards, gzip CSV, quarantine."""

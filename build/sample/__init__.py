"""The embedded sample: three zips written by ``ptoffact_build.make_sample``."""

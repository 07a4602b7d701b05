"""The ptoffact pipeline: fetch, read, validate, write, describe, publish.

Installed as ``ptoffact_build`` (never as ``build``, which would shadow PyPA's package).
"""

__version__ = "0.1.0"

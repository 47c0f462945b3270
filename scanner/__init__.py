"""claimscan: find unsupported medical marketing claims on clinic websites."""

__version__ = "0.1.0"

"""Data protection: envelope encryption of PII at rest, KEKs in an HSM, blind indexes, PQ sealing."""

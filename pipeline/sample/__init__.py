"""Sample raw input: a synthetic generator and an importer of the public used-EV feed."""

"""One module per savings rule; each exposes `rule(context) -> list[Suggestion]`."""

"""Usage: planned or observed monthly usage, as a file and as usage rows."""

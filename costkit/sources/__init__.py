"""Where usage comes from: a usage file (planned) or a snapshot folder (observed)."""

"""The usage model both sources derive into: periods, and (next) usage rows, runs and inventory."""

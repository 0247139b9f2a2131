"""A usage file: YAML or JSON, read with YAML 1.2 core typing, validated, derived into usage rows and planned runs."""

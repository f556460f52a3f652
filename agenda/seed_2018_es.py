"""Spanish texts of the 2018 seed: {English text in seed_2018.py: its Spanish version}."""
TEXTS = {}

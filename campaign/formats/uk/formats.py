# See campaign/formats/__init__.py.
DATE_FORMAT = "j E Y"  # 7 грудня 2026: the month in the genitive, no "р."

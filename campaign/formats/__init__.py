"""Our date formats where Django's do not fit a sentence (settings.FORMAT_MODULE_PATH).

Django writes a Ukrainian date "07 грудня 2026 р." and a Russian one "7 декабря 2026 г.": the
abbreviation's point then doubled the sentence's own ("Підписання відкриється 07 грудня 2026 р..").
Here they are "7 грудня 2026" and "7 декабря 2026", as Ukrainian and Russian sites write them in
running text. Every other format is Django's.
"""

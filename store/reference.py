"""Reference values: Bærum's districts, the age bands results are broken down by, genders."""

from __future__ import annotations

# Bærum's local communities (lokalsamfunn), as residents name where they live.
BAERUM_DISTRICTS = (
    "Bekkestua",
    "Bærums Verk",
    "Eiksmarka",
    "Fornebu",
    "Haslum",
    "Høvik",
    "Jar",
    "Kolsås",
    "Lommedalen",
    "Lysaker",
    "Rykkinn",
    "Sandvika",
    "Stabekk",
    "Østerås",
)

GENDERS = ("female", "male", "other")

# (label, lowest age, highest age); the panel is for residents aged 16 and over.
AGE_BANDS = (
    ("16–24", 16, 24),
    ("25–34", 25, 34),
    ("35–49", 35, 49),
    ("50–66", 50, 66),
    ("67+", 67, 200),
)


def age_band(birth_year: int | None, year: int) -> str | None:
    """The band a person born in `birth_year` falls in during `year` (age reached that year)."""
    if birth_year is None:
        return None
    age = year - birth_year
    for label, low, high in AGE_BANDS:
        if low <= age <= high:
            return label
    return None

"""Staff roles. Kept free of database imports so the terminal app can load it at once."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"  # everything, including staff, export and erasure
    editor = "editor"  # the roster, surveys, sending and workshops
    analyst = "analyst"  # results only; never sees names or addresses

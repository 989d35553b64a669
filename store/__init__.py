"""What the panel is and what may be done to it: tables, the engine, migrations and operations.

Nothing in this package knows about the terminal, the web or SMTP; callers pass in what it needs.
"""

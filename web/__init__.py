"""The residents' pages: sign-up, answering a survey, unsubscribing and their own data.

Depends on `store` only.
"""

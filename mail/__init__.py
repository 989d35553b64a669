"""Outbound email: messages composed from templates, the SMTP transport and the dispatcher.

Depends on `store` only.
"""

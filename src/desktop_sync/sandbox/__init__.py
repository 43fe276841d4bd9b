"""Faithful local emulators of 1C OData and Bitrix24 REST, with seeded data.

Imported by nothing in production code except the ``demo`` and ``sandbox`` commands.
"""

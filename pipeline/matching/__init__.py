"""Matching entries against declarations.

The pure parts (``plates``, ``records``, ``rules``) import nothing from the store, so the store can
use them (the confusion key column) without an import cycle; ``lookup`` and ``local`` sit on top of
the store and are imported by name.
"""

"""Plate reading: format profiles, OCR back-ends, the reader, and the per-track vote.

Heavy models load only when a reader or OCR back-end is built.
"""

from plate_reader.formats import GenericFormat, PlateFormat, VietnamFormat, get_profile
from plate_reader.ocr import BaseOCR, OcrResult, make_ocr
from plate_reader.reader import PlateRead, PlateReader
from plate_reader.vote import PlateVote, VoteResult

__all__ = [
    "BaseOCR",
    "GenericFormat",
    "OcrResult",
    "PlateFormat",
    "PlateRead",
    "PlateReader",
    "PlateVote",
    "VietnamFormat",
    "VoteResult",
    "get_profile",
    "make_ocr",
]

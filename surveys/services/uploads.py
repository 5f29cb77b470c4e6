"""The name of an uploaded file: a browser may send a whole path, a client anything at all. Only the last
part of the name is kept; it must be printable, at most 200 characters (the width of the column that
keeps it), and end in an accepted format."""

from __future__ import annotations

from pathlib import PurePosixPath

from core.errors import InvalidInput

MAX_NAME_LENGTH = 200  # survey_imports.filename
FORMAT_MESSAGES = {
    ("csv",): "must be a .csv file",
    ("csv", "xlsx"): "must be a .csv or .xlsx file",
}


def upload_name(filename: str, formats: tuple[str, ...]) -> tuple[str, str]:
    """(base name, format) of an upload; 422 naming "file" for a bad name or an unaccepted extension."""
    name = PurePosixPath(filename.replace("\\", "/")).name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("file", "the file name must be 1 to 200 characters")
    if any(ord(ch) < 32 or ord(ch) == 127 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name):
        raise InvalidInput("file", "the file name contains control characters")
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in formats:
        raise InvalidInput("file", FORMAT_MESSAGES[formats])
    return name, suffix

"""Reading landing CSV files as text, exactly as they were written, and safely.

Safety comes first: a batch folder and its files are opened without following
symbolic links (``O_NOFOLLOW``, relative to the folder's own descriptor), and
only regular files are read; a link, a FIFO or a device is refused by name,
its content never read.

Every physical line of a file is accounted for: it is the header, a blank
line, part of a data record, or part of a *malformed* record, which lands
too (as its raw text and a reason) so that silver can reject it row by row.
A quote can never silently merge rows: a quoted value may span lines, but a
line that is a complete record of its own is never swallowed into the value
before it, nor may a value span more than ``max_record_lines`` lines or be
longer than ``max_field_chars``.

Two readers give the same records. The fast one (pyarrow's streaming CSV
reader) serves files whose records are one line each; anything else (a value
with a line break, a row with the wrong number of fields, a bare carriage
return, a field over the limit) sends the file to the careful reader, which
assembles records line by line with Python's ``csv`` module.
"""

from loyalty_lake.io.landing.files import (
    MAX_COLUMN_NAME,
    MAX_COLUMNS,
    FileFacts,
    Header,
    file_facts,
    file_sha256,
    read_header,
)
from loyalty_lake.io.landing.folder import BatchFolder, LandingEntries
from loyalty_lake.io.landing.records import NotSimpleCsv, consume_records, read_records

__all__ = [
    "MAX_COLUMNS",
    "MAX_COLUMN_NAME",
    "BatchFolder",
    "FileFacts",
    "Header",
    "LandingEntries",
    "NotSimpleCsv",
    "consume_records",
    "file_facts",
    "file_sha256",
    "read_header",
    "read_records",
]

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

A file's fields are split by the delimiter its header row uses (``,``,
``;``, tab or ``|``). A record shorter than the header may be padded with
nulls when the fields it lacks are all optional (the caller says how many
fields a record needs, ``min_fields``). A ``.csv.gz`` file or a ``.zip``
holding one CSV file is read as the CSV text it holds, decompressed as it is
read and bounded (``archives``); its checksum is that of its bytes on disk.

Two readers give the same records. The fast one (pyarrow's streaming CSV
reader) serves files whose records are one line each; anything else (a value
with a line break, a row with the wrong number of fields, a bare carriage
return, a field over the limit) sends the file to the careful reader, which
assembles records line by line with Python's ``csv`` module.
"""

from loyalty_lake.io.landing.archives import (
    LandingText,
    compression_of,
    csv_name,
    is_landing_name,
    landing_text,
    text_limit,
)
from loyalty_lake.io.landing.files import (
    DELIMITERS,
    MAX_COLUMN_NAME,
    MAX_COLUMNS,
    FileFacts,
    Header,
    file_facts,
    file_sha256,
    header_fields,
    read_header,
    text_facts,
)
from loyalty_lake.io.landing.folder import BatchFolder, LandingEntries
from loyalty_lake.io.landing.records import NotSimpleCsv, consume_records, read_records

__all__ = [
    "DELIMITERS",
    "MAX_COLUMNS",
    "MAX_COLUMN_NAME",
    "BatchFolder",
    "FileFacts",
    "Header",
    "LandingEntries",
    "LandingText",
    "NotSimpleCsv",
    "compression_of",
    "consume_records",
    "csv_name",
    "file_facts",
    "file_sha256",
    "header_fields",
    "is_landing_name",
    "landing_text",
    "read_header",
    "read_records",
    "text_facts",
    "text_limit",
]

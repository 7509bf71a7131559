"""A CSV file as it comes, read into a pandas DataFrame (torch-free).

``read_csv_table`` finds the encoding (UTF-8 with or without BOM, UTF-16, else Windows/Latin-1)
and the delimiter (``,`` ``;`` tab ``|``: the one that splits the header and the first lines into
the same number of fields), checks every line's field count against the header in one vectorised
pass over the bytes (quoted fields with delimiters or line breaks inside are one field), and
parses with pandas' C engine. Missing-value markers (``MISSING_MARKERS`` plus the caller's)
become NaN. The column logic lives in ``framework.data.features``: it takes any DataFrame, so
other file formats only need a reader like this one.

Every problem is a ``ConfigError`` of one paragraph naming the file, the line and what would fix it.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from framework.errors import ConfigError

# pandas' default markers are these and a few more (#N/A, NULL, <NA>, -nan …); "?" is added
MISSING_MARKERS = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?")
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_CHUNK = 1 << 23  # bytes per step of the line scan
_SAMPLE = 1 << 16  # bytes read to find the encoding and delimiter


@dataclass
class Table:
    """A file's rows as a DataFrame, each row's line in the file, and how the file was read."""

    frame: pd.DataFrame
    lines: np.ndarray  # line number (from 1) where each row of ``frame`` starts
    source: str
    delimiter: str
    encoding: str
    comment_lines: int = 0  # lines starting with '#' before the header, skipped
    unit: str = "line"  # how messages name a place in the file ("row" for Parquet)

    def where(self, row: int) -> str:
        """``line N`` (``row N`` in a Parquet file) of row ``row`` of ``frame``, for messages."""
        return f"{self.unit} {int(self.lines[row])}"


def delimiter_name(delimiter: str) -> str:
    """``','`` as ``',' (comma)``, for messages."""
    name = DELIMITER_NAMES.get(delimiter)
    shown = "\\t" if delimiter == "\t" else delimiter
    return f"{shown!r} ({name})" if name else repr(shown)


def read_csv_table(
    path: str | Path,
    delimiter: str = "auto",
    encoding: str = "auto",
    na_values: Sequence[str] = (),
    text_columns: Sequence[str] = (),
) -> Table:
    """Every row of the CSV file ``path`` (a header row first). ``text_columns`` are read as text
    whatever they hold (prediction reads a training file's categories as they were)."""
    file = Path(path)
    source = str(path)
    raw, encoding = _decoded_bytes(file, encoding, source)
    sample = raw[:_SAMPLE] if raw is not None else file.open("rb").read(_SAMPLE)
    text = sample.decode(_codec(encoding), errors="replace").lstrip("\ufeff")
    preamble = _comment_lines(text)
    header_line = _first_record(text, preamble)
    delimiter = _choose_delimiter(text, header_line, delimiter, source)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    header = [h.strip() for h in header]
    if not any(header):
        raise ConfigError(f"data.path={source!r}: the file is empty (no header row)")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ConfigError(f"{source}: the header repeats column(s) {', '.join(repeated)}")
    lines = _record_lines(file, raw, delimiter, header, source, preamble)
    if len(lines) == 0:
        raise ConfigError(f"{source} has a header ({', '.join(header)}) but no data rows")
    frame, encoding = _parse(
        file, raw, delimiter, encoding, header, na_values, text_columns, source, preamble
    )
    if len(frame) != len(lines):  # the scan and pandas disagree: never guess which row is which
        raise ConfigError(
            f"{source}: {len(frame)} rows parsed but {len(lines)} lines found; the file mixes "
            f"line endings or quotes in a way this reader cannot follow. Save it again as CSV "
            f"(UTF-8) from a spreadsheet or pandas"
        )
    return Table(frame, lines, source, delimiter, encoding, preamble)


def is_parquet(path: str | Path) -> bool:
    """Whether ``path`` names a Parquet file (by its suffix)."""
    return Path(path).suffix.lower() in (".parquet", ".pq")


def read_parquet_table(path: str | Path) -> Table:
    """Every row of the Parquet file ``path`` through pyarrow, its columns typed as written
    (rows are named ``row 1`` … in messages)."""
    try:
        import pyarrow
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError(
            f"data.path={str(path)!r} is a Parquet file, which needs pyarrow: pip install pyarrow "
            f"(the README's set-up, make, installs it)"
        ) from None
    try:
        # column by column, each freed once converted: one copy of the table at a time
        frame = pq.read_table(path).to_pandas(split_blocks=True, self_destruct=True)
    except (OSError, pyarrow.ArrowException) as exc:
        raise ConfigError(
            f"{path} cannot be read as Parquet ({' '.join(str(exc).split())}); write it with "
            f"pandas' DataFrame.to_parquet or pyarrow, or give a CSV file with data=csv"
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    repeated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if repeated:
        raise ConfigError(f"{path}: the file repeats column(s) {', '.join(repeated)}")
    if len(frame) == 0:
        raise ConfigError(f"{path} has columns ({', '.join(frame.columns)}) but no rows")
    lines = np.arange(1, len(frame) + 1)
    return Table(frame.reset_index(drop=True), lines, str(path), "", "parquet", unit="row")


def _codec(encoding: str) -> str:
    """The codec of the bytes the scan and parser see (UTF-16 files are re-encoded as UTF-8)."""
    if encoding == "auto" or encoding.replace("_", "-").lower().startswith("utf-16"):
        return "utf-8"
    return encoding


def _decoded_bytes(file: Path, encoding: str, source: str) -> tuple[bytes | None, str]:
    """UTF-16 files as UTF-8 bytes in memory (the scan and parser read bytes); ``None`` for
    files read from disk as they are. Returns the encoding the file was read with."""
    with file.open("rb") as f:
        head = f.read(4096)
    if encoding == "auto":
        if head.startswith(codecs.BOM_UTF8):
            return None, "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        elif b"\x00" in head:
            even, odd = head[0::2].count(0), head[1::2].count(0)
            encoding = "utf-16-le" if odd > even else "utf-16-be"
        else:
            return None, "auto"  # UTF-8, else cp1252/Latin-1: decided while parsing
    if encoding.replace("_", "-").lower().startswith("utf-16"):
        try:
            text = file.read_bytes().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{source} looks like UTF-16 text but byte {exc.start} cannot be decoded as "
                f"{encoding}; save it again as UTF-8, or name its encoding with "
                f"data.encoding=NAME (e.g. utf-8, latin-1, cp1252)"
            ) from None
        return text.lstrip("\ufeff").encode("utf-8"), encoding
    return None, encoding


def _comment_lines(text: str) -> int:
    """How many lines at the top of ``text`` are comments (``#`` first) or blank, as in
    downloaded tables that name their source above the header (0 when none is a comment)."""
    count, comments = 0, 0
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            comments += 1
        elif line.strip():
            break
        count += 1
    return count if comments else 0


def _first_record(text: str, skip: int = 0) -> str:
    """The first non-blank line of ``text`` after its first ``skip`` lines (the header)."""
    for line in text.splitlines()[skip:]:
        if line.strip():
            return line
    return ""


def _choose_delimiter(text: str, header: str, delimiter: str, source: str) -> str:
    """``delimiter``, or for ``auto`` the candidate that splits the header and the next lines
    into the same number (> 1) of fields; a given delimiter that leaves the header one column
    while another splits it is one paragraph naming the other."""
    lines = [line for line in text.splitlines()[:50] if line.strip() and not line.startswith("#")]
    if len(text) >= _SAMPLE and len(lines) > 1:
        lines = lines[:-1]  # the sample may cut the last line
    counts = {d: [len(r) for r in csv.reader(lines, delimiter=d)] for d in DELIMITERS}
    consistent = [
        d for d in DELIMITERS if counts[d] and counts[d][0] > 1 and len(set(counts[d])) == 1
    ]
    best = max(consistent, key=lambda d: counts[d][0], default=None)
    if delimiter == "auto":
        if best is not None:
            return best
        split = [d for d in DELIMITERS if counts[d] and counts[d][0] > 1]
        return max(split, key=lambda d: counts[d][0]) if split else ","
    if len(delimiter) != 1:
        raise ConfigError(
            f"data.delimiter={delimiter!r} must be one character (or auto); e.g. data.delimiter=';'"
        )
    own = next(csv.reader([header], delimiter=delimiter), [])
    if len(own) <= 1 and best is not None and best != delimiter:
        raise ConfigError(
            f"{source}: the header {header[:80]!r} is one column when split at "
            f"data.delimiter={delimiter_name(delimiter)}; the file looks "
            f"{DELIMITER_NAMES[best]}-separated: use data.delimiter=auto (or "
            f"data.delimiter={delimiter_name(best).split()[0]})"
        )
    return delimiter


def _record_lines(
    file: Path, raw: bytes | None, delimiter: str, header: list[str], source: str, skip: int = 0
) -> np.ndarray:
    """The starting line of every data record (blank lines and the first ``skip`` lines
    skipped), after checking that each has as many fields as the header. Vectorised over the
    bytes, chunk by chunk: a delimiter or line break between an odd and an even quote character
    is inside a quoted field."""
    stream = io.BytesIO(raw) if raw is not None else file.open("rb")
    delim = ord(delimiter)
    with stream:
        first = stream.read(_CHUNK)
        newline = 10 if b"\n" in first or b"\r" not in first else 13
        starts: list[np.ndarray] = []  # record start line numbers
        fields: list[np.ndarray] = []  # fields per record
        blank: list[np.ndarray] = []
        quotes, lines_before, pending, record_line, pending_bytes = 0, 0, 0, 1, b""
        chunk = first
        while chunk:
            a = np.frombuffer(chunk, dtype=np.uint8)
            q = np.flatnonzero(a == 34)
            nl_all = np.flatnonzero(a == newline)
            nl, dl = nl_all, np.flatnonzero(a == delim)
            if len(q) or quotes % 2:
                nl = nl[(np.searchsorted(q, nl) + quotes) % 2 == 0]
                dl = dl[(np.searchsorted(q, dl) + quotes) % 2 == 0]
            quotes += len(q)
            # delimiters per record ending in this chunk; the first continues the pending one
            per = np.diff(np.searchsorted(dl, nl), prepend=0)
            if len(nl):
                per[0] += pending
                begin = np.concatenate(([-1], nl[:-1])) + 1
                size = nl - begin
                short = (size == 0) | ((size == 1) & (a[np.minimum(begin, len(a) - 1)] == 13))
                if pending_bytes.strip():
                    short[0] = False
                line_of = np.searchsorted(nl_all, begin) + lines_before + 1
                line_of[0] = record_line
                starts.append(line_of)
                fields.append(per + 1)
                blank.append(short)
                pending = len(dl) - np.searchsorted(dl, nl[-1])
                record_line = lines_before + len(nl_all[nl_all <= nl[-1]]) + 1
                pending_bytes = bytes(a[nl[-1] + 1 :][:64])
            else:
                pending += len(dl)
                pending_bytes = (pending_bytes + chunk[:64])[:64]
            lines_before += len(nl_all)
            chunk = stream.read(_CHUNK)
        if quotes % 2:
            raise ConfigError(
                f'{source}, line {record_line}: a quote character (") opens a field that is '
                f"never closed, so the rest of the file would be one value; close the quote, or "
                f"remove it"
            )
        if pending_bytes.strip(b" \t\r\n"):
            starts.append(np.array([record_line]))
            fields.append(np.array([pending + 1]))
            blank.append(np.array([False]))
    line = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    count = np.concatenate(fields) if fields else np.zeros(0, dtype=np.int64)
    empty = np.concatenate(blank) if blank else np.zeros(0, dtype=bool)
    line, count = line[~empty], count[~empty]
    if skip:
        line, count = line[line > skip], count[line > skip]
    bad = np.flatnonzero(count[1:] != len(header)) + 1
    if len(bad):
        bad = bad[~_whitespace_lines(file, raw, line[bad], newline)]
    if len(bad):
        i = bad[0]
        raise ConfigError(
            f"{source}, line {int(line[i])}: {int(count[i])} fields, but the header has "
            f"{len(header)} ({', '.join(header)}); delimiter {delimiter_name(delimiter)} (set "
            f"data.delimiter=… for another); {len(bad)} line(s) in all have the wrong count"
        )
    keep = np.ones(len(line), dtype=bool)
    keep[0] = False  # the header
    if count.size and (count[1:] != len(header)).any():  # whitespace-only lines: pandas skips
        keep[1:] &= count[1:] == len(header)
    return line[keep]


def _whitespace_lines(file: Path, raw: bytes | None, lines: np.ndarray, newline: int) -> np.ndarray:
    """Which of ``lines`` (few: those with the wrong field count) hold only spaces and tabs."""
    wanted = {int(n) for n in lines[:1000]}
    found: dict[int, bool] = {}
    stream = io.BytesIO(raw) if raw is not None else file.open("rb")
    with stream:
        for number, text in enumerate(stream.read().split(bytes([newline])), start=1):
            if number in wanted:
                found[number] = not text.strip()
            if len(found) == len(wanted):
                break
    return np.array([found.get(int(n), False) for n in lines])


def _parse(
    file: Path,
    raw: bytes | None,
    delimiter: str,
    encoding: str,
    header: list[str],
    na_values: Sequence[str],
    text_columns: Sequence[str],
    source: str,
    skip: int = 0,
) -> tuple[pd.DataFrame, str]:
    """pandas' C engine over the file, and the encoding it was read with; ``auto`` tries
    UTF-8, then cp1252 (Windows), then Latin-1."""
    names = [h for h in header if h in set(text_columns)]
    options = {
        "sep": delimiter,
        "engine": "c",
        "na_values": [*MISSING_MARKERS, *na_values],
        "keep_default_na": True,
        "skipinitialspace": True,
        "low_memory": False,
        "skiprows": skip or None,
        "dtype": dict.fromkeys(names, str) or None,
    }
    tries = ["utf-8", "cp1252", "latin-1"] if encoding == "auto" else [_codec(encoding)]
    for codec in tries:
        try:
            frame = pd.read_csv(
                io.BytesIO(raw) if raw is not None else file, encoding=codec, **options
            )
        except UnicodeDecodeError as exc:
            if codec != tries[-1]:
                continue
            raise ConfigError(
                f"{source} is not {codec} text (byte {exc.start} cannot be decoded); name its "
                f"encoding with data.encoding=NAME (e.g. utf-8, utf-16, latin-1, cp1252) or save "
                f"it again as UTF-8"
            ) from None
        except (pd.errors.ParserError, ValueError) as exc:
            raise ConfigError(
                f"{source} cannot be read as CSV with delimiter {delimiter_name(delimiter)}: "
                f"{' '.join(str(exc).split())}"
            ) from None
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame, codec if encoding == "auto" else encoding
    raise AssertionError("unreachable")

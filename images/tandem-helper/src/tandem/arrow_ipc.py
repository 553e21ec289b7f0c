"""A small reader of Arrow IPC streams, with numpy only, for kernels without pyarrow.

It reads what Tandem's server writes: uncompressed record batches of flat (non-nested)
columns, no dictionaries. The column types come from the snapshot's metadata, so only the
record batch messages are parsed here (a few fields of their flatbuffers).

Format: https://arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-communication-ipc
"""

import struct

import numpy as np

_CONTINUATION = 0xFFFFFFFF
_HEADER_SCHEMA = 1
_HEADER_DICTIONARY_BATCH = 2
_HEADER_RECORD_BATCH = 3

# Buffers per column: validity, then values (and offsets before data for variable width).
_VARIABLE = ("utf8", "binary")


class ArrowFormatError(ValueError):
    pass


class _Table:
    """A flatbuffers table: fields found through its vtable."""

    def __init__(self, buf, pos):
        self.buf = buf
        self.pos = pos
        self.vtable = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vtable_size = struct.unpack_from("<H", buf, self.vtable)[0]

    def _offset(self, field):
        entry = 4 + 2 * field
        if entry >= self.vtable_size:
            return 0
        return struct.unpack_from("<H", self.buf, self.vtable + entry)[0]

    def scalar(self, field, fmt, default=0):
        offset = self._offset(field)
        return struct.unpack_from(fmt, self.buf, self.pos + offset)[0] if offset else default

    def present(self, field):
        return self._offset(field) != 0

    def table(self, field):
        offset = self._offset(field)
        if not offset:
            return None
        at = self.pos + offset
        return _Table(self.buf, at + struct.unpack_from("<I", self.buf, at)[0])

    def struct_vector(self, field, fmt):
        offset = self._offset(field)
        if not offset:
            return []
        at = self.pos + offset
        start = at + struct.unpack_from("<I", self.buf, at)[0]
        count = struct.unpack_from("<I", self.buf, start)[0]
        size = struct.calcsize(fmt)
        return [struct.unpack_from(fmt, self.buf, start + 4 + i * size) for i in range(count)]


def _messages(data):
    """Yields (header type, header table, body memoryview) for each message of the stream."""
    view = memoryview(data)
    pos = 0
    while pos + 4 <= len(data):
        length = struct.unpack_from("<I", data, pos)[0]
        pos += 4
        if length == _CONTINUATION:
            if pos + 4 > len(data):
                break
            length = struct.unpack_from("<i", data, pos)[0]
            pos += 4
        if length == 0:
            return
        meta = bytes(view[pos : pos + length])
        pos += length
        message = _Table(meta, struct.unpack_from("<I", meta, 0)[0])
        header_type = message.scalar(1, "<B")
        body_length = message.scalar(3, "<q")
        body = view[pos : pos + body_length]
        pos += body_length
        yield header_type, message.table(2), body
    raise ArrowFormatError("the Arrow stream ends without its end-of-stream marker")


def _bits(body, offset, length):
    count = (length + 7) // 8
    packed = np.frombuffer(body, dtype=np.uint8, count=count, offset=offset)
    return np.unpackbits(packed, bitorder="little")[:length].astype(bool)


_FIXED = {
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "float32": np.float32,
    "float64": np.float64,
    "date32": np.int32,
    "timestamp": np.int64,
    "timestamptz": np.int64,
}


def _column(kind, body, node, buffers):
    """One column of one batch: (values, valid) where valid is None when nothing is null."""
    length, null_count = node
    validity_offset, validity_length = buffers[0]
    valid = _bits(body, validity_offset, length) if null_count and validity_length else None
    if kind == "bool":
        return _bits(body, buffers[1][0], length), valid
    if kind in _VARIABLE:
        offsets = np.frombuffer(body, dtype=np.int32, count=length + 1, offset=buffers[1][0]) if length else np.zeros(1, np.int32)
        data_offset, data_length = buffers[2]
        data = bytes(body[data_offset : data_offset + data_length])
        values = np.empty(length, dtype=object)
        text = kind == "utf8"
        starts = offsets[:-1].tolist()
        ends = offsets[1:].tolist()
        for i in range(length):
            if valid is not None and not valid[i]:
                values[i] = None
            else:
                chunk = data[starts[i] : ends[i]]
                values[i] = chunk.decode("utf-8") if text else chunk
        return values, valid
    dtype = _FIXED.get(kind)
    if dtype is None:
        raise ArrowFormatError("unknown column kind %r" % (kind,))
    return np.frombuffer(body, dtype=dtype, count=length, offset=buffers[1][0]), valid


def read_columns(data, kinds):
    """Reads an Arrow IPC stream into one (values, valid) pair per column.

    ``kinds`` lists the column kinds in order (from the snapshot's metadata). ``valid`` is None
    for a column without nulls, else a boolean array.
    """
    parts = [[] for _ in kinds]
    for header_type, header, body in _messages(data):
        if header_type == _HEADER_SCHEMA:
            continue
        if header_type == _HEADER_DICTIONARY_BATCH:
            raise ArrowFormatError("dictionary-encoded columns are not supported")
        if header_type != _HEADER_RECORD_BATCH:
            raise ArrowFormatError("unexpected Arrow message type %d" % header_type)
        if header.present(3):
            raise ArrowFormatError("compressed record batches are not supported")
        nodes = header.struct_vector(1, "<qq")
        buffers = header.struct_vector(2, "<qq")
        if len(nodes) != len(kinds):
            raise ArrowFormatError("the stream has %d columns, the snapshot %d" % (len(nodes), len(kinds)))
        at = 0
        for i, kind in enumerate(kinds):
            count = 3 if kind in _VARIABLE else 2
            parts[i].append(_column(kind, body, nodes[i], buffers[at : at + count]))
            at += count
    columns = []
    for kind, batches in zip(kinds, parts):
        if not batches:
            columns.append((np.empty(0, dtype=object if kind in _VARIABLE else _FIXED.get(kind, bool)), None))
            continue
        values = np.concatenate([v for v, _ in batches]) if len(batches) > 1 else batches[0][0]
        if any(valid is not None for _, valid in batches):
            valid = np.concatenate([np.ones(len(v), bool) if m is None else m for v, m in batches])
        else:
            valid = None
        columns.append((values, valid))
    return columns

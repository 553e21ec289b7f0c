"""Snapshots of SQL cells as pandas data frames.

A snapshot's data is an Arrow IPC stream. With pyarrow importable it is read with pyarrow;
otherwise with the numpy reader in ``arrow_ipc``. Both give the same dtypes:

- integers: numpy int16/32/64, or pandas' nullable Int16/32/64 when the column has nulls;
- booleans: bool, or pandas' nullable boolean with nulls;
- floats (and numeric): float32/64, NaN for nulls;
- date, timestamp: datetime64[ns]; timestamptz: datetime64[ns, UTC] (NaT outside its range);
- everything else: object (str, or bytes for bytea).
"""

import numpy as np
import pandas as pd

from . import arrow_ipc

_NULLABLE = {"int16": "Int16", "int32": "Int32", "int64": "Int64", "bool": "boolean"}
# datetime64[ns] spans about 1677-09-21 to 2262-04-11.
_MAX_MICROS = np.iinfo(np.int64).max // 1000
_DAY_MICROS = 86_400 * 1_000_000


def _times(micros, valid, utc):
    micros = np.asarray(micros, dtype=np.int64)
    in_range = np.abs(micros) < _MAX_MICROS
    missing = ~in_range if valid is None else ~(in_range & valid)
    nanos = np.where(missing, 0, micros) * 1000
    values = nanos.view("datetime64[ns]").copy()
    values[missing] = np.datetime64("NaT")
    index = pd.DatetimeIndex(values)
    return index.tz_localize("UTC") if utc else index


def _series(kind, values, valid):
    """One column as pandas wants it, from (values, valid) of the numpy reader."""
    if kind in _NULLABLE:
        if valid is None:
            return values.astype(bool) if kind == "bool" else values
        mask = ~valid
        if kind == "bool":
            return pd.arrays.BooleanArray(values.astype(bool), mask)
        return pd.arrays.IntegerArray(values.copy(), mask)
    if kind in ("float32", "float64"):
        if valid is None:
            return values
        out = values.copy()
        out[~valid] = np.nan
        return out
    if kind == "date32":
        return _times(values.astype(np.int64) * _DAY_MICROS, valid, False)
    if kind in ("timestamp", "timestamptz"):
        return _times(values, valid, kind == "timestamptz")
    return values


def _read_with_numpy(data, columns):
    kinds = [c["kind"] for c in columns]
    read = arrow_ipc.read_columns(data, kinds)
    frame = {}
    for i, (column, (values, valid)) in enumerate(zip(columns, read)):
        frame[i] = _series(column["kind"], values, valid)
    return _frame(frame, columns)


def _read_with_pyarrow(pa, data, columns):
    import pyarrow.ipc

    table = pyarrow.ipc.open_stream(data).read_all()
    frame = {}
    for i, column in enumerate(columns):
        chunked = table.column(i)
        kind = column["kind"]
        if kind in ("date32", "timestamp", "timestamptz"):
            # Through int64 micros, so out-of-range values become NaT here too.
            if kind == "date32":
                micros = chunked.cast(pa.int32()).fill_null(0).to_numpy().astype(np.int64) * _DAY_MICROS
            else:
                micros = chunked.cast(pa.int64()).fill_null(0).to_numpy()
            valid = None if chunked.null_count == 0 else ~chunked.is_null().to_numpy(zero_copy_only=False)
            frame[i] = _times(micros, valid, kind == "timestamptz")
        elif kind in _NULLABLE and chunked.null_count:
            frame[i] = chunked.to_pandas(types_mapper={chunked.type: pd.api.types.pandas_dtype(_NULLABLE[kind])}.get).array
        else:
            frame[i] = chunked.to_pandas().to_numpy()
    return _frame(frame, columns)


def _frame(by_position, columns):
    # By position, then named: a query may give two columns the same name.
    frame = pd.DataFrame(by_position, columns=list(range(len(columns))))
    frame.columns = [c["name"] for c in columns]
    return frame


def read_snapshot(path, columns):
    """Reads a snapshot's data file into a DataFrame.

    ``columns`` is the snapshot metadata's column list ({"name", "kind", ...} each).
    """
    with open(path, "rb") as f:
        data = f.read()
    try:
        import pyarrow as pa
    except ImportError:
        return _read_with_numpy(data, columns)
    return _read_with_pyarrow(pa, data, columns)

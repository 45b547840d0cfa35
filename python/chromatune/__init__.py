"""Read chromatune result stores into pandas and numpy.

    import chromatune
    store = chromatune.open("runs/demo.sqlite")
    store.sweeps()                         # one row per sweep
    trials = store.trials("my-sweep")      # one row per trial, params and metrics as columns
    curves = store.curves("my-sweep")      # long format: trial_id, curve, step, value
    arrays = store.arrays(42)              # {"predictions": np.ndarray, ...} from the HDF5 file
    cells = store.cells("my-sweep")        # the report's cells, its exact numbers
    paired = store.paired("my-sweep", baseline="finetune")

Read-only and never in the coordinator's way: SQLite through a read-only URI (WAL: the
writer is never blocked), the HDF5 file without file locks (docs/analysis.md explains the
consistency rule). Statistics are not re-implemented here: cells() and paired() run
`chromatune report --format json` and turn its JSON into DataFrames (docs/decisions.md).

Needs Debian's python3-numpy, python3-pandas and python3-h5py (h5py only for arrays()).
The reader contract (tables, columns, the reader-compatibility version) is
docs/schema.md, "Reading the store".
"""

from ._store import (
    READER_VERSION,
    ChromatuneError,
    ReaderVersionError,
    ReportError,
    Store,
    find_executable,
    open,
    param_value,
    param_value_text,
)

__all__ = [
    "READER_VERSION",
    "ChromatuneError",
    "ReaderVersionError",
    "ReportError",
    "Store",
    "find_executable",
    "open",
    "param_value",
    "param_value_text",
]
__version__ = "0.1.0"

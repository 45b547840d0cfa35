"""The read-only store: SQLite rows, HDF5 arrays, and the report's statistics.

Every query of the schema lives in this file (the one reading layer), so a change of how
the store keeps plan items or parameters (docs/schema.md) changes this file only.
"""

import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import time

import numpy as np
import pandas as pd

# The reader-compatibility version this package understands (docs/schema.md, "Reading the
# store"): a store whose meta.reader_version is larger is refused with ReaderVersionError.
# Additive migrations do not change the store's reader_version, so they never break this
# package.
READER_VERSION = 1

# Trial states the store knows (INTERFACES.md "Messages and states").
STATES = ("pending", "leased", "running", "done", "failed", "cancelled", "stopped")

# Columns of trials(), in order, before the param.<name> and metric.<name> columns. The same
# columns as `chromatune export --what trials --format csv` (storage/sweep_rows.h).
TRIAL_COLUMNS = (
    "trial_id", "sweep", "index", "key", "state", "task", "dataset", "backbone", "method",
    "shots", "shot_unit", "data_seed", "train_seed", "backbone_seed", "precision", "device",
    "eval_split", "classes", "epochs_run", "ranks", "attempt", "failures", "reused_from",
    "worker_group", "worker_host", "wall_seconds", "created_ms", "updated_ms", "error",
)
_NULLABLE_INT = ("backbone_seed", "epochs_run", "reused_from", "worker_group")

CURVE_COLUMNS = ("trial_id", "method", "shots", "data_seed", "train_seed", "curve", "step",
                 "value")


class ChromatuneError(Exception):
    """A store that cannot be read as asked (the message names the file and the reason)."""


class ReaderVersionError(ChromatuneError):
    """The store was written by a chromatune whose reader contract is newer than this
    package's (meta.reader_version > READER_VERSION)."""


class ReportError(ChromatuneError):
    """`chromatune report` refused or failed (its message is kept)."""


def param_value_text(value):
    """A parameter as a flat cell reads it (the report's convention): a named value (an
    object with a string "name", e.g. a colour) by its name, a list element by element as
    "[a,b]", a string as itself, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"]
    if isinstance(value, list):
        return "[" + ",".join(param_value_text(v) for v in value) + "]"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _flat_param(value):
    # Scalars keep their type (numbers stay numbers); objects and lists become text.
    if isinstance(value, (dict, list)):
        return param_value_text(value)
    return value


def param_value(value):
    """A parameter value as the param.<name> columns hold it: numbers, booleans and
    strings as they are, objects and lists as param_value_text()."""
    return _flat_param(value)


def default_hdf5_path(db_path):
    """The HDF5 artifact file beside a store, as chromatune finds it
    (ArtifactStore::DefaultPathFor): .sqlite, .sqlite3 or .db replaced by .h5, any other
    name with .h5 appended."""
    p = str(db_path)
    for ext in (".sqlite", ".sqlite3", ".db"):
        if p.endswith(ext) and len(p) > len(ext) and not p[: -len(ext)].endswith("/"):
            return p[: -len(ext)] + ".h5"
    return p + ".h5"


def hdf5_group_for(sweep):
    """The name of a sweep's group under /sweeps (ArtifactStore::GroupFor)."""
    import hashlib

    safe_chars = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+")
    if sweep and sweep[0] != "." and all(c in safe_chars for c in sweep):
        return sweep
    raw = sweep.encode("utf-8")
    safe = bytearray(raw[:64])
    for i, b in enumerate(safe):
        if chr(b) not in safe_chars or b == 0:
            safe[i] = ord("_")
    if safe and safe[0] == ord("."):
        safe[0] = ord("_")
    return safe.decode("ascii") + "-" + hashlib.sha256(raw).hexdigest()[:12]


def find_executable():
    """The chromatune binary the report runs: $CHROMATUNE_EXE, else `chromatune` on PATH,
    else build/chromatune of the repository this package sits in. None when none exists."""
    exe = os.environ.get("CHROMATUNE_EXE")
    if exe:
        return exe
    exe = shutil.which("chromatune")
    if exe:
        return exe
    built = pathlib.Path(__file__).resolve().parents[2] / "build" / "chromatune"
    return str(built) if built.is_file() and os.access(built, os.X_OK) else None


def open(path, hdf5=None, exe=None):  # noqa: A001 - the package's entry point
    """Opens the result store at `path` read-only. `hdf5`: the artifact file (default: the
    one beside the store, as `chromatune report` finds it). `exe`: the chromatune binary for
    cells() and paired() (default: find_executable())."""
    return Store(path, hdf5=hdf5, exe=exe)


class Store:
    """A read-only view of one result store. Each call reads the store as it is now (the
    coordinator may be writing it); nothing is cached between calls and nothing is ever
    written. Not thread-safe (one sqlite3 connection): use one Store per thread."""

    def __init__(self, path, hdf5=None, exe=None):
        self.path = str(path)
        if not os.path.isfile(self.path):
            raise ChromatuneError(f"{self.path}: no such result store")
        self.hdf5_path = str(hdf5) if hdf5 is not None else default_hdf5_path(self.path)
        self._exe = exe
        uri = pathlib.Path(self.path).resolve().as_uri() + "?mode=ro"
        try:
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._db.execute("PRAGMA query_only = ON")
            self.reader_version, self.schema_version = self._check_version()
            # Schema 8: a sweep the coordinator is still storing is not listed (docs/schema.md).
            columns = {r[1] for r in self._rows("PRAGMA table_info(sweeps)")}
            self._visible = "planning = 0" if "planning" in columns else "1"
        except sqlite3.DatabaseError as e:
            raise ChromatuneError(f"{self.path}: not a readable chromatune result store ({e})")

    # ---- plumbing ----

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"chromatune.Store({self.path!r})"

    def _rows(self, sql, args=()):
        return self._db.execute(sql, args).fetchall()

    def _check_version(self):
        tables = {r[0] for r in self._rows("SELECT name FROM sqlite_master WHERE type='table'")}
        if "schema_migrations" not in tables:
            raise ChromatuneError(
                f"{self.path}: not a chromatune result store (no schema_migrations table)")
        schema = self._rows("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0]
        if "meta" in tables:
            row = self._rows("SELECT value FROM meta WHERE key = 'reader_version'")
            reader = int(row[0][0]) if row else 1
        elif schema >= 2:
            reader = 1  # stores from before the meta table (schema 2-4) read as version 1
        else:
            raise ChromatuneError(
                f"{self.path}: schema version {schema} is older than this package reads; "
                "open it once with chromatune (e.g. `chromatune report --db FILE` after a "
                "read-write open by the coordinator) to migrate it")
        if reader > READER_VERSION:
            raise ReaderVersionError(
                f"{self.path}: the store has reader version {reader} but this chromatune "
                f"package reads at most version {READER_VERSION}; use the python/chromatune "
                "package of the chromatune that wrote the store (the file was not modified)")
        return reader, schema

    def _sweep_id(self, sweep):
        row = self._rows(f"SELECT id FROM sweeps WHERE name = ? AND {self._visible}",
                         (sweep,))
        if not row:
            names = [r[0] for r in self._rows(f"SELECT name FROM sweeps WHERE {self._visible} "
                                                 "ORDER BY id")]
            known = ", ".join(names) if names else "the store has no sweeps"
            raise ChromatuneError(f"{self.path}: unknown sweep {sweep!r} ({known})")
        return row[0][0]

    # ---- sweeps ----

    def sweeps(self):
        """One row per sweep (oldest first): id, name, user, priority, retries, rerun,
        cancelled (the sweep was cancelled), created_ms, updated_ms, n_trials and a count
        per state (n_pending, ..., n_done, n_failed, n_cancelled, n_stopped)."""
        sweeps = pd.DataFrame.from_records(
            self._rows("SELECT id, name, user, priority, retries, rerun, cancelled, created_ms, "
                       f"updated_ms FROM sweeps WHERE {self._visible} ORDER BY id"),
            columns=["id", "name", "user", "priority", "retries", "rerun", "cancelled",
                     "created_ms", "updated_ms"])
        sweeps["rerun"] = sweeps["rerun"].astype(bool)
        sweeps["cancelled"] = sweeps["cancelled"].astype(bool)
        counts = pd.DataFrame.from_records(
            self._rows("SELECT sweep_id, state, count(*) FROM trials GROUP BY sweep_id, state"),
            columns=["id", "state", "n"])
        wide = counts.pivot(index="id", columns="state", values="n")
        wide = wide.reindex(columns=list(STATES)).reindex(sweeps["id"]).fillna(0).astype("int64")
        wide.insert(0, "trials", wide.sum(axis=1))
        wide.columns = ["n_" + c for c in wide.columns]
        return sweeps.join(wide, on="id")

    # ---- trials ----

    def trials(self, sweep, states=None):
        """One row per trial of `sweep` (all states, or those in `states`), by trial id:
        TRIAL_COLUMNS, then param.<name> for every parameter (numbers and strings as they
        are, named values such as colours by name, lists as "[a,b]") and metric.<name> for
        every final metric (NaN where a trial has none). Absent optional fields are None
        (text) or <NA> (integers)."""
        sweep_id = self._sweep_id(sweep)
        where, args = "t.sweep_id = ?", [sweep_id]
        if states is not None:
            states = [states] if isinstance(states, str) else list(states)
            unknown = [s for s in states if s not in STATES]
            if unknown:
                raise ValueError(f"unknown trial state(s) {unknown}; states are {list(STATES)}")
            where += " AND t.state IN (%s)" % ",".join("?" * len(states))
            args += states
        metric_names = [r[0] for r in self._rows(
            "SELECT DISTINCT m.name FROM trials t JOIN metrics m ON m.trial_id = t.id "
            f"WHERE {where} ORDER BY m.name", args)]
        # One pass in SQLite over the trials (metrics by primary-key lookups, the run's info
        # by SQLite's JSON functions where it is not empty); the plan item's fields come from
        # the templates that the trials share (one row per run of replicates), read once.
        info = "t.info_json"
        busy_info = f"t.info_json IS NOT NULL AND t.info_json <> '{{}}'"
        metric_sql = "".join(
            ", (SELECT value FROM metrics m WHERE m.trial_id = t.id AND m.name = ?)"
            for _ in metric_names)
        sql = (
            "SELECT t.id, NULL, t.idx, t.key, t.state, t.task, t.dataset, NULL, t.method, "
            "t.shots, NULL, t.data_seed, t.train_seed, NULL, NULL, "
            f"CASE WHEN {busy_info} THEN {_text(info, 'device')} END, NULL, NULL, "
            f"CASE WHEN {busy_info} THEN {_int(info, 'epochs_run')} END, "
            "t.ranks, t.attempt, t.failures, t.reused_from, a.worker_group, g.host, "
            "t.wall_seconds, t.created_ms, t.updated_ms, t.error, t.params_json, t.template_id"
            f"{metric_sql} "
            "FROM trials t "
            "LEFT JOIN attempts a ON a.trial_id = t.id AND a.attempt = t.attempt "
            "LEFT JOIN worker_groups g ON g.id = a.worker_group "
            f"WHERE t.id BETWEEN ? AND ? AND +{where} ORDER BY t.id")
        # The sweep's trials as a range of ids scanned in id order (the unary + keeps SQLite
        # from the sweep index, which would need a sort of every row).
        range_args = list(self._rows("SELECT coalesce(min(id), 0), coalesce(max(id), -1) "
                                     "FROM trials WHERE sweep_id = ?", (sweep_id,))[0])
        item = "item_json"
        templates = {r[0]: r[1:] for r in self._rows(
            f"SELECT id, {_text(item, 'backbone')}, {_text(item, 'shot_unit')}, "
            f"{_int(item, 'backbone_seed')}, {_text(item, 'precision')}, {_text(item, 'device')}, "
            f"{_split(item)}, {_text(item, 'classes')} FROM item_templates WHERE id IN "
            "(SELECT DISTINCT template_id FROM trials WHERE sweep_id = ?)", (sweep_id,))}
        rows = self._rows(sql, metric_names + range_args + args)
        n = len(rows)
        columns = list(zip(*rows)) if rows else [()] * (len(TRIAL_COLUMNS) + 2 +
                                                        len(metric_names))
        data = {}
        for i, name in enumerate(TRIAL_COLUMNS):
            col = columns[i]
            if name in _NULLABLE_INT:
                data[name] = _nullable_int(col)
            elif name in _INT_COLUMNS:
                data[name] = np.fromiter(col, dtype=np.int64, count=n)
            elif name == "wall_seconds":
                data[name] = np.fromiter(col, dtype=np.float64, count=n)
            else:
                data[name] = np.array(col, dtype=object)
        data["sweep"] = np.full(n, sweep, dtype=object)
        # The plan item's fields: one tuple per template, spread by the factorized codes.
        t_codes, t_ids = pd.factorize(np.array(columns[len(TRIAL_COLUMNS) + 1], dtype=object),
                                      use_na_sentinel=False)
        t_fields = [templates.get(t, (None,) * 7) for t in t_ids]
        for j, name in enumerate(("backbone", "shot_unit", "backbone_seed", "precision",
                                  "_device", "eval_split", "classes")):
            values = np.array([f[j] for f in t_fields] + [None], dtype=object)[:-1][t_codes]
            if name == "_device":  # the run's own report first, else the plan item's
                reported = data["device"]
                data["device"] = np.where(pd.isna(reported), values, reported)
            elif name == "backbone_seed":
                data[name] = _nullable_int(values)
            else:
                data[name] = values
        frames = [pd.DataFrame(data, columns=list(TRIAL_COLUMNS))]

        # Parameters: one parse per distinct params text, spread by the factorized codes.
        p_codes, p_uniques = pd.factorize(np.array(columns[len(TRIAL_COLUMNS)], dtype=object),
                                          use_na_sentinel=False)
        parsed = [json.loads(p) if p else {} for p in p_uniques]
        names = sorted({k for p in parsed for k in p})
        if names:
            p_data = {}
            for name in names:
                values = [_flat_param(p[name]) if name in p else None for p in parsed]
                present = [v for v in values if v is not None]
                if present and all(type(v) is int for v in present):
                    column = _nullable_int(values)  # integer parameters stay integers
                elif present and all(type(v) in (int, float) for v in present):
                    column = np.array([np.nan if v is None else v for v in values],
                                      dtype=np.float64)
                else:
                    column = np.array(values + [None], dtype=object)[:-1]
                p_data["param." + name] = column[p_codes]
            frames.append(pd.DataFrame(p_data))
        # Final metrics, one column each (NaN where a trial has none).
        if metric_names:
            first = len(TRIAL_COLUMNS) + 2
            frames.append(pd.DataFrame(
                {"metric." + m: np.array(columns[first + j], dtype=np.float64)
                 for j, m in enumerate(metric_names)}))
        return pd.concat(frames, axis=1) if len(frames) > 1 else frames[0]

    # ---- curves ----

    def curves(self, sweep):
        """Every curve point of the sweep's trials in long format (CURVE_COLUMNS), ordered by
        trial id, curve name, step."""
        sweep_id = self._sweep_id(sweep)
        rows = self._rows(
            "SELECT c.trial_id, t.method, t.shots, t.data_seed, t.train_seed, c.name, c.step, "
            "c.value FROM trials t JOIN curves c ON c.trial_id = t.id WHERE t.sweep_id = ? "
            "ORDER BY c.trial_id, c.name, c.step", (sweep_id,))
        return pd.DataFrame.from_records(rows, columns=list(CURVE_COLUMNS))

    # ---- arrays ----

    def arrays(self, trial_id, retries=8):
        """The arrays a trial stored in the HDF5 file ({name: numpy array}, float32 with the
        array's shape); {} when the trial stored none. A trial reused from another sweep has
        the arrays of the trial that ran. The file is read without taking any lock (the
        coordinator must never wait for a reader); a read that overlapped a write (the
        writer's journal present, or the file changed during the read) is retried up to
        `retries` times, then ChromatuneError."""
        row = self._rows("SELECT t.id, t.reused_from FROM trials t WHERE t.id = ?",
                         (int(trial_id),))
        if not row:
            raise ChromatuneError(f"{self.path}: no trial {trial_id}")
        ran = row[0][1] if row[0][1] is not None else row[0][0]
        sweep = self._rows("SELECT s.name FROM trials t JOIN sweeps s ON s.id = t.sweep_id "
                           "WHERE t.id = ?", (ran,))[0][0]
        group = f"sweeps/{hdf5_group_for(sweep)}/trials/trial-{ran:08d}"
        return _read_consistent(self.hdf5_path, lambda f: _read_arrays(f, group), retries)

    # ---- the report's statistics ----

    def report(self, sweep, metric="accuracy", ddof=1, baseline="finetune"):
        """The parsed JSON of `chromatune report --format json` for `sweep`."""
        exe = self._exe or find_executable()
        if not exe:
            raise ReportError(
                "the chromatune binary was not found: set CHROMATUNE_EXE, put chromatune on "
                "PATH, or build it so that build/chromatune exists")
        cmd = [exe, "report", "--db=" + self.path, "--sweep=" + sweep, "--format", "json",
               "--metric=" + metric, "--ddof", str(ddof), "--baseline=" + baseline]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise ReportError(done.stderr.strip() or f"{exe} report exited {done.returncode}")
        return json.loads(done.stdout)

    def cells(self, sweep, metric="accuracy", ddof=1):
        """The report's cells: sweep, task, dataset, method, shots, param.<name> for the
        swept parameters, n, mean, std, ci95_lo, ci95_hi, ci95_df, backbone_seeds,
        data_seeds, train_seeds, the variance split (var_backbone, var_data, var_train,
        share_backbone, share_data, share_train), variance_note, and params/swept (dicts).
        Numbers exactly as the report's JSON."""
        rows = self.report(sweep, metric=metric, ddof=ddof)["cells"]
        return _report_frame(rows, "swept", [
            "n", "mean", "std", "ci95_lo", "ci95_hi", "ci95_df", "backbone_seeds", "data_seeds",
            "train_seeds"] + list(_VARIANCE_COLUMNS) + ["variance_note", "params", "swept"])

    def paired(self, sweep, baseline="finetune", metric="accuracy", ddof=1):
        """The report's paired comparisons with `baseline`: sweep, task, dataset, method,
        shots, param.<name> for the method's swept parameters, baseline, baseline_params
        (dict), baseline_found, n_pairs, mean_diff, ci95_lo, ci95_hi, df, t, p_t, p_t_holm,
        p_wilcoxon, p_wilcoxon_holm, wilcoxon_exact, note, params (dict)."""
        rows = self.report(sweep, metric=metric, ddof=ddof, baseline=baseline)["paired"]
        return _report_frame(rows, "params", [
            "baseline", "baseline_params", "baseline_found", "n_pairs", "mean_diff", "ci95_lo",
            "ci95_hi", "df", "t", "p_t", "p_t_holm", "p_wilcoxon", "p_wilcoxon_holm",
            "wilcoxon_exact", "note", "params"])


# ---- helpers ----

# The members of a report cell's "variance" object (docs/statistics.md).
_VARIANCE_COLUMNS = ("var_backbone", "var_data", "var_train", "share_backbone", "share_data",
                     "share_train")

_INT_COLUMNS = ("trial_id", "index", "shots", "data_seed", "train_seed", "ranks", "attempt",
                "failures", "created_ms", "updated_ms")


def _nullable_int(values):
    # Integers with <NA> for None, as a pandas Int64 column.
    values = list(values) if not isinstance(values, (list, tuple)) else values
    if None not in values:
        return pd.array(np.fromiter(values, dtype=np.int64, count=len(values)), dtype="Int64")
    if values.count(None) == len(values):
        return pd.arrays.IntegerArray(np.zeros(len(values), dtype=np.int64),
                                      np.ones(len(values), dtype=bool))
    mask = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    ints = np.fromiter((0 if v is None else v for v in values), dtype=np.int64,
                       count=len(values))
    return pd.arrays.IntegerArray(ints, mask)


def _text(column, field):
    # A non-empty string member of a JSON column, else NULL (the C++ reader's rule).
    path = f"'$.{field}'"
    return (f"CASE WHEN json_type({column}, {path}) = 'text' "
            f"THEN nullif(json_extract({column}, {path}), '') END")


def _int(column, field):
    path = f"'$.{field}'"
    return (f"CASE WHEN json_type({column}, {path}) = 'integer' "
            f"THEN json_extract({column}, {path}) END")


def _split(column):
    # dataset_options.eval.split: one name, or a list joined with ','.
    path = "'$.dataset_options.eval.split'"
    return (f"CASE json_type({column}, {path}) "
            f"WHEN 'text' THEN nullif(json_extract({column}, {path}), '') "
            f"WHEN 'array' THEN nullif((SELECT group_concat(value, ',') FROM "
            f"json_each({column}, {path}) WHERE type = 'text'), '') END")


def _report_frame(rows, swept_key, tail):
    names = sorted({k for r in rows for k in r[swept_key]})
    records = []
    for r in rows:
        rec = {k: r[k] for k in ("sweep", "task", "dataset", "method", "shots")}
        for n in names:
            rec["param." + n] = _flat_param(r[swept_key][n]) if n in r[swept_key] else None
        ci = r.get("ci95")
        variance = r.get("variance") or {}
        for k in tail:
            if k == "ci95_lo":
                rec[k] = ci[0] if ci else None
            elif k == "ci95_hi":
                rec[k] = ci[1] if ci else None
            elif k in _VARIANCE_COLUMNS:
                rec[k] = variance.get(k)
            else:
                rec[k] = r.get(k)
        records.append(rec)
    columns = ["sweep", "task", "dataset", "method", "shots"] + ["param." + n for n in names] + \
        list(tail)
    df = pd.DataFrame.from_records(records, columns=columns)
    # Undefined numbers (null in the JSON) are NaN in float columns.
    for k in tail:
        if k not in ("variance_note", "note", "params", "swept", "baseline", "baseline_params",
                     "baseline_found", "wilcoxon_exact", "n", "n_pairs", "backbone_seeds",
                     "data_seeds", "train_seeds"):
            df[k] = pd.to_numeric(df[k], errors="coerce").astype("float64")
    return df


def _h5py():
    # Set before the library opens anything: the writer's lock must never be taken, even by
    # an h5py too old for locking=False.
    os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
    import h5py

    return h5py


def _file_state(path):
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _read_consistent(path, read, retries):
    """Runs read(h5py.File) on `path` without locks, retried until no write overlapped it:
    no writer's journal before or after and the file unchanged (inode, size, mtime)."""
    h5py = _h5py()
    if not os.path.exists(path):
        raise ChromatuneError(f"{path}: no such artifact file (the store's arrays live there)")
    journal = path + ".journal"
    last_error = None
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(min(0.02 * 2 ** attempt, 1.0))
        if os.path.exists(journal):
            last_error = "a write is in progress (or was interrupted: the coordinator's next " \
                         "write rolls it back)"
            continue
        before = _file_state(path)
        try:
            try:
                f = h5py.File(path, "r", locking=False)
            except TypeError:  # h5py < 3.5: HDF5_USE_FILE_LOCKING (set above) applies
                f = h5py.File(path, "r")
            with f:
                result = read(f)
        except (OSError, RuntimeError, KeyError, ValueError) as e:
            last_error = str(e)
            continue
        if not os.path.exists(journal) and _file_state(path) == before:
            return result
        last_error = "the file changed while it was read"
    raise ChromatuneError(f"{path}: could not read consistently after {retries + 1} tries: "
                          f"{last_error}")


def _read_arrays(f, group):
    if group not in f:
        return {}
    g = f[group]
    if "arrays" not in g:
        return {}
    return {name: np.asarray(ds[()]) for name, ds in g["arrays"].items()}

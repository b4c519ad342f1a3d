"""xbarsim: compute-in-memory simulation of memristor crossbars, from Python.

The same library the ``xbarsim`` command line calls (Rust, through a native
extension): nothing is re-implemented here. Arrays are numpy arrays in SI
units (siemens, volts, amperes, seconds); tables come back as polars
DataFrames (``.to_pandas()`` for pandas), or pandas where polars is not
installed. Every random result comes from an explicit ``seed``.

>>> import numpy as np, xbarsim
>>> G = np.full((64, 64), 50e-6)                 # S, word lines x bit lines
>>> V = np.full((8, 64), 0.2)                    # V, one input vector per row
>>> I = xbarsim.solve(G, V, r_wordline=2.5, r_bitline=2.5)   # A, 8 x 64, IR drop exact
>>> dev = xbarsim.Device("ag-a-si")              # the device library
>>> pulses = xbarsim.device_pulse(dev, devices=16, seed=1)   # a DataFrame

Errors are :class:`XbarsimError` subclasses of the fitting builtin
(``ValueError``, ``FileNotFoundError``, ``OSError``) with the command line's
one-line, located message.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from . import _native
from ._native import Crossbar, Device, DeviceArray
from .errors import (
    XbarsimError,
    XbarsimFileNotFoundError,
    XbarsimOSError,
    XbarsimValueError,
)

__version__ = _native.__version__

PathLike = Union[str, "os.PathLike[str]"]

__all__ = [
    "Crossbar",
    "Device",
    "DeviceArray",
    "Fit",
    "XbarsimError",
    "XbarsimFileNotFoundError",
    "XbarsimOSError",
    "XbarsimValueError",
    "cost",
    "device_drift",
    "device_pulse",
    "evaluate",
    "fit_device",
    "fit_pulses",
    "merge",
    "results",
    "run",
    "shipped",
    "solve",
    "slurm",
    "spice_netlist",
    "train",
    "train_insitu",
]


def _floats(a: Any) -> np.ndarray:
    """`a` itself when it is a float64 or float32 array (any order: the
    native module reads it in place); anything else as float64."""
    if isinstance(a, np.ndarray) and a.dtype in (np.float64, np.float32):
        return a
    return np.asarray(a, dtype=np.float64)


def _progress(progress: Union[bool, Callable[[int, int], None]], unit: str):
    """`(callback, bar)` for a `progress` argument: a function is called
    as it is; ``True`` draws a ``tqdm.auto`` bar (a widget in notebooks)
    where tqdm is installed; ``False`` draws nothing."""
    if callable(progress):
        return progress, None
    if not progress:
        return None, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=0, unit=unit)

    def callback(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return callback, bar


def _with_progress(progress: Union[bool, Callable[[int, int], None]], unit: str, call: Callable[..., Any]):
    callback, bar = _progress(progress, unit)
    try:
        return call(callback)
    finally:
        if bar is not None:
            bar.close()


def _frame(table: Mapping[str, Any]):
    """A result table as a polars DataFrame, else pandas, in column order."""
    columns, data = table["columns"], table["data"]
    try:
        import polars as pl

        return pl.DataFrame({c: data[c] for c in columns})
    except ImportError:
        pass
    try:
        import pandas as pd

        return pd.DataFrame({c: data[c] for c in columns}, columns=columns)
    except ImportError:
        return {c: data[c] for c in columns}


def solve(
    G: Any,
    V: Any,
    *,
    r_wordline: float = 0.0,
    r_bitline: float = 0.0,
    r_source: float = 0.0,
    r_sense: float = 0.0,
    solver: str = "auto",
    sinh_a: Optional[float] = None,
    device: Optional[Device] = None,
    max_iterations: int = 50,
    node_voltages: bool = False,
):
    """Bit-line currents of a programmed crossbar for a batch of input vectors.

    As ``xbarsim solve``: the exact IR drop of word-line, bit-line, driver
    and sense resistance. Word line i is driven at its column-0 end by
    V[i] through r_source + r_wordline, with one r_wordline segment
    between neighbouring cells; bit line j has one r_bitline segment
    between neighbouring cells and leaves the last row through r_bitline +
    r_sense into a virtual ground; I[j] is the current into it.

    Arguments (SI units; defaults as in the command line):

      G               conductances (S), M word lines x N bit lines: a 2-D
                      array, float64 or float32, C- or Fortran-ordered
                      (read in place, no numpy copy)
      V               input voltages (V): B x M, one vector per row; or one
                      vector of M (the result is then 1-D)
      r_wordline      word-line resistance per segment between neighbouring
                      cells (ohm) [default: 0]
      r_bitline       bit-line resistance per segment between neighbouring
                      cells (ohm) [default: 0]
      r_source        input driver resistance (ohm) [default: 0]
      r_sense         sense amplifier (virtual ground) input resistance
                      (ohm) [default: 0]
      solver          auto, ideal, exact or transfer [default: auto]
      sinh_a          nonlinear cells, I = (g/A)*sinh(A*V), with A in 1/V
                      (Newton solve) [default: None, linear]
      device          the cells from a Device: its [iv] and [access]
                      sections, if any (nothing else of the device is used)
      max_iterations  Newton iteration limit of the nonlinear solve
                      [default: 50]
      node_voltages   also return the word-line and bit-line voltage of
                      every cell for the first input vector, as a DataFrame
                      (row, col, wordline_V, bitline_V, cell_V,
                      cell_current_A; linear cells with no access device)
                      [default: False]

    Returns the currents (A), B x N (a float64 array that holds the
    solver's own buffer, Fortran-ordered), or ``(currents, voltages)``
    with ``node_voltages``.

    Solvers: ``ideal`` ignores every resistance (I = V.G); ``exact``
    factorises the nodal matrix once (sparse Cholesky) and solves every
    vector; ``transfer`` builds the effective matrix G_eff from M unit
    solves, then one product; ``auto`` picks ideal when all resistances
    are 0, transfer when there are more vectors than word lines, exact
    otherwise. For many batches on one array, :class:`Crossbar`
    factorises once.

    Errors: :class:`XbarsimValueError` (a ``ValueError``) naming the
    argument, e.g. ``G: g[0,1] = -1e-06: ...`` or ``V: 2 voltages per
    vector, but G has 1 rows (word lines) ...``.

    Examples::

      I = xbarsim.solve(G, V)
      I = xbarsim.solve(G, V, r_wordline=2.5, r_bitline=2.5)
      I = xbarsim.solve(G, V, r_wordline=1, r_bitline=1, r_source=100, r_sense=50, solver="exact")
      I = xbarsim.solve(G, V, r_wordline=2, r_bitline=2, sinh_a=3)
      I, nodes = xbarsim.solve(G, V, r_wordline=2.5, r_bitline=2.5, node_voltages=True)
    """
    V_arr = _floats(V)
    one = V_arr.ndim == 1
    currents, _method, voltages, _seconds = _native.solve(
        _floats(G),
        V_arr[None, :] if one else V_arr,
        r_wordline=r_wordline,
        r_bitline=r_bitline,
        r_source=r_source,
        r_sense=r_sense,
        solver=solver,
        sinh_a=sinh_a,
        device=device,
        max_iterations=max_iterations,
        node_voltages=node_voltages,
    )
    if one:
        currents = currents[0]
    if node_voltages:
        return currents, _frame(voltages)
    return currents


def spice_netlist(
    G: Any,
    v: Any,
    *,
    r_wordline: float = 0.0,
    r_bitline: float = 0.0,
    r_source: float = 0.0,
    r_sense: float = 0.0,
    sinh_a: Optional[float] = None,
    output: str = "currents.txt",
) -> str:
    """The array ``G`` (S) driven by one input vector ``v`` (V) as a SPICE netlist.

    Run it with ``ngspice -b``: it writes the bit-line currents (A) to
    ``output`` — the independent check of :func:`solve` (wires in ohms per
    segment, ``sinh_a`` in 1/V as there).
    """
    return _native.spice_netlist(
        _floats(G),
        [float(x) for x in np.asarray(v, dtype=np.float64).ravel()],
        r_wordline=r_wordline,
        r_bitline=r_bitline,
        r_source=r_source,
        r_sense=r_sense,
        sinh_a=sinh_a,
        output=output,
    )


class Fit:
    """A device fitted from measurements, as ``xbarsim device fit`` makes it.

    ``device``: the fitted :class:`Device`; ``report``: the report text;
    ``records``: every fit's parameters with their intervals and what they
    were fitted from (a dict); ``figure``: the pulse fit's series (a dict),
    drawn by :meth:`plot`.
    """

    def __init__(self, native: Any):
        self._native = native
        self.device: Device = native.device
        self.report: str = native.report
        self.records: dict = native.records
        self.figure: Optional[dict] = native.figure

    def __repr__(self) -> str:
        return f"Fit(device={self.device!r})"

    def plot(self, ax: Any = None):
        """Draws the pulse fit's figure with matplotlib; returns the axes."""
        if self.figure is None:
            raise XbarsimValueError("plot: the fit has no pulse trains to draw")
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:
            raise ImportError("Fit.plot needs matplotlib: pip install matplotlib") from e

        if ax is None:
            _, ax = plt.subplots(figsize=tuple(self.figure["size_in"]))
        for s in self.figure["series"]:
            pts = np.asarray(s["points"], dtype=float).reshape(-1, 2)
            kind = s["kind"] if isinstance(s["kind"], str) else next(iter(s["kind"]))
            if kind.lower().startswith("point") or kind.lower().startswith("marker"):
                ax.plot(pts[:, 0], pts[:, 1], ".", ms=2, label=s["label"])
            else:
                ax.plot(pts[:, 0], pts[:, 1], "-", label=s["label"])
        for axis, set_label in (("x", ax.set_xlabel), ("y", ax.set_ylabel)):
            a = self.figure[axis]
            set_label(f"{a['label']} ({a['unit']})" if a["unit"] else a["label"])
        ax.legend()
        return ax


def fit_device(
    *,
    pulses: Optional[PathLike] = None,
    retention: Optional[PathLike] = None,
    read_noise: Optional[PathLike] = None,
    programming: Optional[PathLike] = None,
    iv: Optional[PathLike] = None,
    sheet: Optional[str] = None,
    name: Optional[str] = None,
    model: str = "auto",
    bins: Optional[int] = None,
    criterion: str = "bic",
    robust: bool = False,
    output: Optional[PathLike] = None,
    figure: Optional[PathLike] = None,
) -> Fit:
    """Fits a device from measurement files (CSV, TSV or .xlsx), as ``xbarsim device fit``.

    ``pulses``: LTP/LTD pulse trains (wide or long). ``retention``:
    conductances against ``time_s``. ``read_noise``: repeated reads.
    ``programming``: program-and-verify writes (``target_S``,
    ``conductance_S``). ``iv``: I-V sweeps (``voltage_V``, ``current_A``).
    ``sheet``: the sheet to read from every workbook input (``.xlsx``,
    ``.xlsm``, ``.xls``, ``.xlsb``, ``.ods``); by default each workbook's
    first sheet with cells.
    ``model``: ``auto``, ``exponential``, ``soft-bounds`` or ``measured``;
    ``criterion``: ``aic`` or ``bic``. With ``output``, the device file, its
    JSON sidecar and (with ``figure``) the figure are written together or
    not at all.
    """
    native = _native.fit_device(
        pulses=pulses,
        retention=retention,
        read_noise=read_noise,
        programming=programming,
        iv=iv,
        sheet=sheet,
        name=name,
        model=model,
        bins=bins,
        criterion=criterion,
        robust=robust,
        output=output,
        figure=figure,
    )
    return Fit(native)


def fit_pulses(table: Any, **kwargs: Any) -> Fit:
    """Fits a pulse model to pulse trains given as a path or a DataFrame.

    A DataFrame (polars or pandas) is written to a temporary CSV with its
    columns as they are (the file formats of ``device fit``: wide, one
    column per device, or long), then fitted exactly as a file would be.
    Other keyword arguments are those of :func:`fit_device`.
    """
    if isinstance(table, (str, os.PathLike)):
        return fit_device(pulses=table, **kwargs)
    with tempfile.TemporaryDirectory(prefix="xbarsim-") as tmp:
        path = Path(tmp) / "pulses.csv"
        if hasattr(table, "write_csv"):
            table.write_csv(path)
        elif hasattr(table, "to_csv"):
            table.to_csv(path, index=False)
        else:
            raise XbarsimValueError(
                "table: expected a path, a polars or a pandas DataFrame, "
                f"found {type(table).__name__}"
            )
        kwargs.setdefault("name", "fitted")
        return fit_device(pulses=path, **kwargs)


def _measure(
    kind: str,
    device: Union[Device, str],
    seed: int,
    settings: Mapping[str, Any],
    progress: Union[bool, Callable[[int, int], None]] = False,
):
    if isinstance(device, str):
        device = Device(device)
    text = json.dumps(settings, default=_jsonable)
    return _with_progress(
        progress, "point", lambda cb: _native.measure(kind, device, text, seed, progress=cb)
    )


def _jsonable(x: Any):
    if isinstance(x, os.PathLike):
        return os.fspath(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"{type(x).__name__} is not a setting")


def device_pulse(device: Union[Device, str], *, seed: int = 0, **pulse: Any):
    """Simulated LTP/LTD pulse trains of ``device``, as ``xbarsim device pulse``.

    Keyword arguments are the ``[pulse]`` section of the ``device-pulse``
    kind (``devices``, ``pulses_ltp``, ``pulses_ltd``; unset pulse counts
    are the device's own). Returns the table: one row per (device, pulse).
    """
    return _frame(_measure("device-pulse", device, seed, pulse)["table"])


def device_drift(device: Union[Device, str], *, seed: int = 0, **drift: Any):
    """Conductances of ``device`` read over time, as ``xbarsim device drift``.

    Keyword arguments are the ``[drift]`` section of the ``device-drift``
    kind (``devices``, ``targets_S``, ``times_s``, ``read_noise``).
    """
    return _frame(_measure("device-drift", device, seed, drift)["table"])


def evaluate(
    device: Union[Device, str],
    *,
    seed: int = 1,
    per_instance: bool = False,
    progress: Union[bool, Callable[[int, int], None]] = True,
    **sections: Any,
):
    """Accuracy of a network programmed onto arrays of ``device``, over time.

    As ``xbarsim evaluate`` (the ``inference-drift`` kind; ``seed``: device
    instance i draws from seed + i, default 1 as there). Keyword
    arguments are the kind's sections as dicts: ``evaluation`` (``model``:
    an xbarsim ``.safetensors`` file or an ``.onnx`` model exported by
    PyTorch, ``times_s`` in s, ``instances``), ``array``, ``data``
    (``dir``: an MNIST or CIFAR directory or an ``.npz`` with ``images``
    N×C×H×W and ``labels``; ``mean``/``std`` per channel); or ``network``
    and ``training`` to train one first. Returns the summary table; with
    ``per_instance``, ``(summary, instances)``. Ctrl-C stops it at the
    next (instance, time) point (``KeyboardInterrupt``); ``progress``: a
    bar over those points (``tqdm.auto``), ``False``, or a function
    called with ``(done, total)``.
    """
    out = _measure("evaluate", device, seed, sections, progress)
    if per_instance:
        return _frame(out["table"]), _frame(out["instances"])
    return _frame(out["table"])


def cost(device: Union[Device, str], *, seed: int = 1, **sections: Any):
    """Energy (J), latency (s) and area (m2) per inference, with the accuracy of the same reads.

    As ``xbarsim cost`` (the ``inference-cost`` kind; ``seed`` default 1
    as there). Keyword arguments are the kind's sections as dicts:
    ``evaluation`` (``model``: xbarsim, ONNX or NIR file), ``array``,
    ``data``, ``cost`` (``technology``, …). Ctrl-C raises
    ``KeyboardInterrupt`` when the measurement ends.
    """
    return _frame(_measure("cost", device, seed, sections)["table"])


def train(
    output: PathLike,
    *,
    history: Optional[PathLike] = None,
    progress: Union[bool, Callable[[int, int], None]] = True,
    **sections: Any,
):
    """Trains a network in software and writes it to ``output``, as ``xbarsim train``.

    Keyword arguments are the sections as dicts: ``network`` (``sizes``,
    ``steps``, ``encoding``, …, or ``layers``: a list of dicts such as
    ``{"op": "conv2d", "channels": 12, "kernel": 5}``, ``{"op": "lif"}``,
    for a convolutional or residual network), ``training`` (``epochs``, ``batch_size``,
    ``optimizer``, ``seed``, …) and ``data`` (``dir``, ``train_limit``,
    ``test_limit``; the built-in MNIST subset by default), with the kinds'
    defaults. The model file (safetensors) gets its JSON sidecar;
    ``history`` also writes the per-epoch table as CSV. Returns that table.
    Use the model with ``evaluate(..., evaluation={"model": output})``.
    Ctrl-C stops training at the next batch (``KeyboardInterrupt``) with
    nothing written; ``progress``: a bar over batches (``tqdm.auto``),
    ``False``, or a function called with ``(done, total)``.
    """
    text = json.dumps(sections, default=_jsonable)
    return _frame(
        _with_progress(
            progress,
            "batch",
            lambda cb: _native.train(text, Path(output), None if history is None else Path(history), progress=cb),
        )
    )


def train_insitu(
    device: Union[Device, str],
    output: PathLike,
    *,
    seed: int = 1,
    history: Optional[PathLike] = None,
    progress: Union[bool, Callable[[int, int], None]] = True,
    **sections: Any,
):
    """Trains a network on arrays of ``device`` by pulses, as ``xbarsim train-insitu``.

    Every batch reads the arrays (read noise), back-propagates through the
    read weights, and turns each SGD update into pulses (stochastic
    rounding of dw/dw_min, dw_min = one nominal pulse) applied through the
    device's LTP/LTD model with its cycle-to-cycle noise (the
    ``insitu-training`` kind). The device needs a pulse model.

    ``device``: a :class:`Device` or a library name / device file.
    ``output``: the model file to write (safetensors, the weights as the
    arrays hold them at the end, with its JSON sidecar). ``seed``: devices,
    shuffling, input spikes and pulse rounding [default: 1, as the command
    line]. ``history``: also write the per-epoch table as CSV. Keyword
    arguments are the kind's sections as dicts, with its defaults:
    ``network`` (``sizes``, ``steps``, ``encoding``, …; dense networks),
    ``insitu`` (``epochs`` [1], ``batch_size`` [64], ``learning_rate``
    [0.1], ``w_max`` [0.5]: weight magnitude at the full conductance
    range, ``read_voltage_v`` [0.2]: a spike's voltage, how far up a
    nonlinear cell's I-V a rate-coded spiking network's reads go),
    ``data`` (``dir``, ``train_limit``, ``test_limit``; the
    built-in MNIST subset by default) and ``cost`` (``technology``, which
    prices the write pulses). Returns the per-epoch table (accuracy %,
    pulses, write energy J, …). Ctrl-C stops it at the next batch
    (``KeyboardInterrupt``) with nothing written; ``progress``: a bar over
    batches, ``False``, or a function called with ``(done, total)``.
    Errors: :class:`XbarsimValueError` naming the setting
    (``insitu.learning_rate: …``), :class:`XbarsimOSError` for an output
    that cannot be written.
    """
    if isinstance(device, str):
        device = Device(device)
    text = json.dumps(sections, default=_jsonable)
    return _frame(
        _with_progress(
            progress,
            "batch",
            lambda cb: _native.train_insitu(
                device, text, seed, Path(output), None if history is None else Path(history), progress=cb
            ),
        )
    )


def shipped(name: Optional[str] = None) -> Union[Sequence[str], str]:
    """The names of the shipped configs, or the TOML text of one."""
    if name is None:
        return list(_native.shipped_names())
    return _native.shipped_config(name)


def _config(config: Union[PathLike, str, Mapping[str, Any]]):
    """`(path, text)` of a config given as a path, TOML text, a dict or a shipped name."""
    if isinstance(config, Mapping):
        return Path("<dict>.toml"), _native.toml_from_json(json.dumps(config, default=_jsonable))
    if isinstance(config, os.PathLike) or (
        isinstance(config, str) and "\n" not in config and "=" not in config and Path(config).exists()
    ):
        return Path(config), None
    if isinstance(config, str) and "\n" not in config and "=" not in config:
        if config in _native.shipped_names():
            return Path(f"experiments/configs/{config}.toml"), _native.shipped_config(config)
        raise XbarsimFileNotFoundError(
            f"{config}: no such config file, and not a shipped config (xbarsim.shipped() lists them)"
        )
    return Path("<text>.toml"), str(config)


def run(
    config: Union[PathLike, str, Mapping[str, Any]],
    out: Optional[PathLike] = None,
    *,
    jobs: Optional[int] = None,
    force: bool = False,
    data: Optional[PathLike] = None,
    shard: Optional[str] = None,
    progress: Union[bool, Callable[[int, int], None]] = True,
):
    """Runs a sweep config and returns its results table, as ``xbarsim run``.

    ``config``: a path to a TOML config, TOML text, a dict of the same
    sections, or a shipped config's name. Results go to ``out``
    (``xbarsim-out/<name>`` by default) and resume as in the command line:
    units already there are not computed again. Ctrl-C stops the run
    (units already started finish and are saved) and raises
    ``KeyboardInterrupt``. ``jobs``: threads (all cores by default);
    ``force``: replace another config's results in ``out``; ``data``: an
    MNIST or CIFAR directory or an ``.npz`` replacing every config's;
    ``shard``: ``"K/N"`` runs only the points p with p mod N = K-1 and
    returns ``None`` (join the shards with :func:`merge`).
    ``progress``: a bar (``tqdm.auto``, in notebooks too, where installed),
    ``False`` for none, or a function called with ``(done, total)`` units.
    Returns the table (polars, ``.to_pandas()`` for pandas): one row per
    point and repeat, units in the column names.
    """
    path, text = _config(config)
    summary = _with_progress(
        progress,
        "unit",
        lambda cb: _native.run(
            Path(path),
            text,
            None if out is None else Path(out),
            jobs=jobs,
            force=force,
            data=None if data is None else Path(data),
            shard=shard,
            progress=cb,
        ),
    )
    if shard is not None:
        return None
    return _results(Path(summary["out"]))


def merge(dirs: Union[PathLike, Sequence[PathLike]], out: Optional[PathLike] = None):
    """Joins the shards of a sweep (``run(..., shard="K/N")``), as ``xbarsim merge``.

    ``dirs``: the results directory every shard wrote into, or one per
    shard; ``out``: where the table, run.json and figures go (the first
    directory by default). Returns the table.
    """
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    dirs = [Path(d) for d in dirs]
    summary = _native.merge(dirs, Path(out) if out is not None else dirs[0])
    return _results(Path(summary["out"]))


def slurm(
    config: PathLike,
    out: PathLike,
    *,
    shards: int,
    cpus_per_task: int = 1,
    time: Optional[str] = None,
    partition: Optional[str] = None,
    program: Optional[PathLike] = None,
) -> dict:
    """Writes a SLURM array job that runs a sweep on a cluster, as ``xbarsim slurm``.

    Writes ``out/slurm/shards.sbatch`` (an ``sbatch --array=1-N`` job whose
    task K runs shard K/N of the points), ``out/slurm/merge.sbatch`` (the
    merge, once every shard succeeded) and ``out/slurm/submit.sh``, which
    submits both (``submit.sh --wait`` returns when the merge has ended).
    ``config``: a TOML config file; ``out``: the results directory, on a
    file system every node sees (claimed now: a directory of another
    config, or in use, is refused here and not on the cluster).
    ``shards``: array tasks (at most the config's points);
    ``cpus_per_task``: threads per task [1]; ``time``: wall-time limit per
    task, e.g. ``"12:00:00"``; ``partition``.

    The tasks run ``program`` (``program run CONFIG --out OUT --shard K/N``
    and ``program merge OUT --out OUT``): by default this interpreter with
    this package (``python -m xbarsim``, through the executable
    ``out/slurm/xbarsim-python``), or the path of an ``xbarsim`` binary.
    Returns ``{"dir", "files", "name", "points", "repeats"}``. Read the
    results with ``merge``'s table or :func:`results` when the job is done.
    """
    if not isinstance(config, (str, os.PathLike)) or "\n" in str(config) or not Path(config).is_file():
        raise XbarsimFileNotFoundError(
            f"{config}: no such config file (slurm needs the config as a file on a file system every node sees)"
        )
    out = Path(out).absolute()
    wrapper = out / "slurm" / "xbarsim-python"
    scripts = _native.slurm(
        Path(config).absolute(),
        out,
        Path(program).absolute() if program is not None else wrapper,
        shards=shards,
        cpus_per_task=cpus_per_task,
        time=time,
        partition=partition,
    )
    if program is None:
        package_dir = Path(__file__).resolve().parent.parent
        try:
            wrapper.write_text(
                "#!/bin/sh\n"
                "# The xbarsim Python package as the program of the SLURM tasks.\n"
                f"export PYTHONPATH={_sh_quote(str(package_dir))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
                f'exec {_sh_quote(sys.executable)} -m xbarsim "$@"\n'
            )
            wrapper.chmod(0o755)
        except OSError as e:
            raise XbarsimOSError(f"{wrapper}: cannot write ({e.strerror})") from e
        scripts["files"] = [*scripts["files"], str(wrapper)]
    return scripts


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def results(out: PathLike):
    """The results table of a finished run directory (``results.parquet``)."""
    return _results(Path(out))


def _results(out: Path):
    """The results table of a finished run directory."""
    try:
        import polars as pl

        return pl.read_parquet(out / "results.parquet")
    except ImportError:
        pass
    import pandas as pd

    return pd.read_csv(out / "results.csv")

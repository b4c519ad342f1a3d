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
    "run",
    "shipped",
    "solve",
    "spice_netlist",
    "train",
]


def _f64_2d(name: str, a: Any) -> np.ndarray:
    """`a` as a 2-D float64 array (no copy when it already is one, in any order)."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2:
        raise XbarsimValueError(f"{name}: expected a 2-D array, found {arr.ndim} dimension(s)")
    return arr


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
    """Bit-line currents (A) of the array ``G`` for the input vectors ``V``.

    As ``xbarsim solve``. ``G``: conductances (S), word lines x bit lines.
    ``V``: input voltages (V), one vector per row (2-D) or a single vector
    (1-D, and the result is 1-D). Wires: resistance per segment of word
    line and bit line, of the driver (``r_source``) and of the sense
    amplifier (``r_sense``), all in ohms. ``solver``: ``auto`` (the exact
    nodal solve where the wires matter, the ideal product where they do not),
    ``exact``, ``transfer`` (G_eff, IR-drop exact for many vectors) or
    ``ideal`` (no IR drop). ``sinh_a`` (1/V): nonlinear cells
    ``I = (g/a) sinh(a V)``, solved by Newton; a ``device`` with an ``[iv]``
    section gives its own, and one with an ``[access]`` section puts its
    access device (a resistor, or a level-1 NMOS) in series with every
    cell, also solved by Newton. ``node_voltages``: also return every
    cell's word-line and bit-line voltage for the first vector, as a
    DataFrame (linear cells with no access device only): the result is then
    ``(currents, voltages)``.
    """
    V_arr = np.asarray(V, dtype=np.float64)
    one = V_arr.ndim == 1
    currents, _method, voltages, _seconds = _native.solve(
        _f64_2d("G", G),
        _f64_2d("V", V_arr[None, :] if one else V_arr),
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
        _f64_2d("G", G),
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


def _measure(kind: str, device: Union[Device, str], seed: int, settings: Mapping[str, Any]):
    if isinstance(device, str):
        device = Device(device)
    return _native.measure(kind, device, json.dumps(settings, default=_jsonable), seed)


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


def evaluate(device: Union[Device, str], *, seed: int = 0, per_instance: bool = False, **sections: Any):
    """Accuracy of a network programmed onto arrays of ``device``, over time.

    As ``xbarsim evaluate`` (the ``inference-drift`` kind). Keyword
    arguments are the kind's sections as dicts: ``evaluation`` (``model``:
    an xbarsim ``.safetensors`` file or an ``.onnx`` model exported by
    PyTorch, ``times_s`` in s, ``instances``), ``array``, ``data``
    (``dir``: an MNIST or CIFAR directory or an ``.npz`` with ``images``
    N×C×H×W and ``labels``; ``mean``/``std`` per channel); or ``network``
    and ``training`` to train one first. Returns the summary table; with
    ``per_instance``, ``(summary, instances)``.
    """
    out = _measure("evaluate", device, seed, sections)
    if per_instance:
        return _frame(out["table"]), _frame(out["instances"])
    return _frame(out["table"])


def cost(device: Union[Device, str], *, seed: int = 0, **sections: Any):
    """Energy, latency and area per inference, with the accuracy of the same reads.

    As ``xbarsim cost`` (the ``inference-cost`` kind). Keyword arguments
    are the kind's sections as dicts: ``evaluation``, ``array``, ``data``,
    ``cost`` (``technology``, …).
    """
    return _frame(_measure("cost", device, seed, sections)["table"])


def train(output: PathLike, *, history: Optional[PathLike] = None, **sections: Any):
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
    """
    return _frame(
        _native.train(
            json.dumps(sections, default=_jsonable),
            Path(output),
            None if history is None else Path(history),
        )
    )


def shipped(name: Optional[str] = None) -> Union[Sequence[str], str]:
    """The names of the shipped configs, or the TOML text of one."""
    if name is None:
        return list(_native.shipped_names())
    return _native.shipped_config(name)


def run(
    config: Union[PathLike, str, Mapping[str, Any]],
    out: Optional[PathLike] = None,
    *,
    jobs: Optional[int] = None,
    force: bool = False,
    data: Optional[PathLike] = None,
    progress: Union[bool, Callable[[int, int], None]] = True,
):
    """Runs a sweep config and returns its results table, as ``xbarsim run``.

    ``config``: a path to a TOML config, TOML text, a dict of the same
    sections, or a shipped config's name. Results go to ``out``
    (``xbarsim-out/<name>`` by default) and resume as in the command line:
    units already there are not computed again. Ctrl-C stops the run
    (units already started finish and are saved) and raises
    ``KeyboardInterrupt``. ``jobs``: threads (all cores by default);
    ``data``: a directory of MNIST IDX files replacing every config's.
    ``progress``: a bar (``tqdm.auto``, in notebooks too, where installed),
    ``False`` for none, or a function called with ``(done, total)`` units.
    """
    text: Optional[str]
    if isinstance(config, Mapping):
        path, text = Path("<dict>.toml"), _native.toml_from_json(json.dumps(config, default=_jsonable))
    elif isinstance(config, os.PathLike) or (
        isinstance(config, str) and "\n" not in config and "=" not in config and Path(config).exists()
    ):
        path, text = Path(config), None
    elif isinstance(config, str) and "\n" not in config and "=" not in config:
        if config in _native.shipped_names():
            path, text = Path(f"experiments/configs/{config}.toml"), _native.shipped_config(config)
        else:
            raise XbarsimFileNotFoundError(
                f"{config}: no such config file, and not a shipped config "
                f"(xbarsim.shipped() lists them)"
            )
    else:
        path, text = Path("<text>.toml"), str(config)
    bar = None
    callback: Optional[Callable[[int, int], None]] = None
    if callable(progress):
        callback = progress
    elif progress:
        try:
            from tqdm.auto import tqdm

            bar = tqdm(total=0, unit="unit")

            def callback(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

        except ImportError:
            callback = None
    try:
        summary = _native.run(
            Path(path),
            text,
            None if out is None else Path(out),
            jobs=jobs,
            force=force,
            data=data,
            progress=callback,
        )
    finally:
        if bar is not None:
            bar.close()
    return _results(Path(summary["out"]))


def _results(out: Path):
    """The results table of a finished run directory."""
    try:
        import polars as pl

        return pl.read_parquet(out / "results.parquet")
    except ImportError:
        pass
    import pandas as pd

    return pd.read_csv(out / "results.csv")

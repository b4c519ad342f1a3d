"""Types of the native extension (Rust, `python/src/`). Units are SI throughout."""

from os import PathLike
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

# 2-D float64 or float32 arrays in either order are read in place (one
# conversion into the library's matrix, no numpy copy); anything else
# array-like goes through numpy.asarray(x, float64).
Floats2D = Union[npt.NDArray[np.float64], npt.NDArray[np.float32], Sequence[Sequence[float]]]
Progress = Optional[Callable[[int, int], None]]

class Device:
    """A device model: a library preset by name or a TOML device file by path."""

    def __init__(self, name: str) -> None: ...
    @staticmethod
    def library() -> list[str]:
        """The names of the library's devices."""
    @staticmethod
    def from_toml(path_or_text: str) -> "Device":
        """A device from a TOML file's path or from TOML text (a newline or `=` means text)."""
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str:
        """`library:<name>`, the file, or `<text>`."""
    @property
    def g_min(self) -> float:
        """Lowest programmable conductance (S)."""
    @property
    def g_max(self) -> float:
        """Highest programmable conductance (S)."""
    def to_toml(self) -> str:
        """The device file's TOML text."""
    def describe(self) -> list[dict[str, Any]]:
        """Sections of parameters (key, value, unit, meaning) and derived quantities."""

class DeviceArray:
    """Devices with their device-to-device parameters and faults drawn from `seed`."""

    def __init__(self, device: Device, rows: int, cols: int, seed: int) -> None: ...
    @property
    def shape(self) -> tuple[int, int]: ...
    def program(self, targets: Floats2D) -> None:
        """Programs each device to its target conductance (S), rows x cols."""
    def apply_pulses(self, counts: Union[npt.NDArray[np.integer[Any]], Sequence[Sequence[int]]]) -> dict[str, float]:
        """Signed pulse counts (positive: potentiation, any integer dtype within int32); the tally `{pulses, sum_g_S}`."""
    def conductances(self) -> npt.NDArray[np.float64]:
        """The conductances now (S), noiseless."""
    def drift_to(self, t: float) -> npt.NDArray[np.float64]:
        """Noiseless conductances (S) at `t` seconds since programming."""
    def read(self, t: float) -> npt.NDArray[np.float64]:
        """One read (S) at `t` seconds since programming: drift and read noise."""

class Crossbar:
    """An array factorised once; each `solve` costs only the triangular solves."""

    def __init__(
        self,
        g: Floats2D,
        *,
        r_wordline: float = 0.0,
        r_bitline: float = 0.0,
        r_source: float = 0.0,
        r_sense: float = 0.0,
    ) -> None: ...
    @property
    def shape(self) -> tuple[int, int]:
        """Word lines x bit lines."""
    def solve(self, v: Floats2D, solver: str = "exact") -> npt.NDArray[np.float64]:
        """Bit-line currents (A, B x N, Fortran-ordered), one row per input vector (V, B x M)."""

class Fit:
    @property
    def device(self) -> Device: ...
    @property
    def report(self) -> str: ...
    @property
    def records(self) -> dict[str, Any]: ...
    @property
    def figure(self) -> Optional[dict[str, Any]]: ...

def solve(
    g: Floats2D,
    v: Floats2D,
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
) -> tuple[npt.NDArray[np.float64], str, Optional[dict[str, Any]], float]: ...
def spice_netlist(
    g: Floats2D,
    v: list[float],
    *,
    r_wordline: float = 0.0,
    r_bitline: float = 0.0,
    r_source: float = 0.0,
    r_sense: float = 0.0,
    sinh_a: Optional[float] = None,
    output: str = "currents.txt",
) -> str: ...
def fit_device(**kwargs: Any) -> Fit: ...
def measure(kind: str, device: Device, settings: str, seed: int, progress: Progress = None) -> dict[str, Any]:
    """One-point run of `device-pulse`, `device-drift`, `evaluate` or `cost` with the kind's sections as JSON."""
def run(
    path: Union[str, PathLike[str]],
    text: Optional[str],
    out: Optional[Union[str, PathLike[str]]],
    *,
    jobs: Optional[int] = None,
    force: bool = False,
    data: Optional[Union[str, PathLike[str]]] = None,
    shard: Optional[str] = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """Runs a config; `{out, resumed, computed, files, wall_s}`. Ctrl-C: KeyboardInterrupt, units saved."""
def merge(dirs: list[Union[str, PathLike[str]]], out: Union[str, PathLike[str]]) -> dict[str, Any]:
    """Joins shards' unit files into `out`; as `run`'s dict."""
def slurm(
    config: Union[str, PathLike[str]],
    out: Union[str, PathLike[str]],
    program: Union[str, PathLike[str]],
    *,
    shards: int,
    cpus_per_task: int = 1,
    time: Optional[str] = None,
    partition: Optional[str] = None,
) -> dict[str, Any]:
    """Writes `out/slurm/{shards,merge}.sbatch` and `submit.sh` running `program`; `{dir, files, name, points, repeats}`."""
def shipped_names() -> list[str]: ...
def shipped_config(name: str) -> str: ...
def toml_from_json(json: str) -> str: ...
def train(
    settings: str,
    output: Union[str, PathLike[str]],
    history: Optional[Union[str, PathLike[str]]] = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """Software training (`network`, `training`, `data` as JSON); writes the model; the per-epoch table."""
def train_insitu(
    device: Device,
    settings: str,
    seed: int,
    output: Union[str, PathLike[str]],
    history: Optional[Union[str, PathLike[str]]] = None,
    progress: Progress = None,
) -> dict[str, Any]:
    """In-situ training by pulses (`network`, `insitu`, `data`, `cost` as JSON); writes the model; the per-epoch table."""

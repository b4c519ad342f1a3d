"""Types of the native extension (Rust, `python/src/`). Units are SI throughout."""

from os import PathLike
from typing import Any, Callable, Optional, Union

import numpy as np
import numpy.typing as npt

__version__: str

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
    def program(self, targets: npt.NDArray[np.float64]) -> None:
        """Programs each device to its target conductance (S)."""
    def apply_pulses(self, counts: npt.NDArray[np.int32]) -> dict[str, float]:
        """Signed pulse counts (positive: potentiation); the tally `{pulses, sum_g_S}`."""
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
        g: npt.NDArray[np.float64],
        *,
        r_wordline: float = 0.0,
        r_bitline: float = 0.0,
        r_source: float = 0.0,
        r_sense: float = 0.0,
    ) -> None: ...
    @property
    def shape(self) -> tuple[int, int]:
        """Word lines x bit lines."""
    def solve(self, v: npt.NDArray[np.float64], solver: str = "exact") -> npt.NDArray[np.float64]:
        """Bit-line currents (A), one row per input vector (V)."""

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
    g: npt.NDArray[np.float64],
    v: npt.NDArray[np.float64],
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
    g: npt.NDArray[np.float64],
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
def measure(kind: str, device: Device, settings: str, seed: int) -> dict[str, Any]: ...
def run(
    path: Union[str, PathLike[str]],
    text: Optional[str],
    out: Optional[Union[str, PathLike[str]]],
    *,
    jobs: Optional[int] = None,
    force: bool = False,
    data: Optional[Union[str, PathLike[str]]] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> dict[str, Any]: ...
def shipped_names() -> list[str]: ...
def shipped_config(name: str) -> str: ...
def toml_from_json(json: str) -> str: ...
def train(
    settings: str,
    output: Union[str, PathLike[str]],
    history: Optional[Union[str, PathLike[str]]] = None,
) -> dict[str, Any]: ...

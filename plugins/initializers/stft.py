"""The ``STFT`` initializer (Keras's ``STFTInitializer``): DFT kernels for
``STFTSpectrogram``.

A ``(frame_length, 1, bins)`` kernel whose column ``k`` is ``cos`` (``side="real"``) or
``sin`` (``side="imag"``) of ``-2 pi t k / (2 (bins - 1))`` over ``t < frame_length``,
multiplied by a window and divided by its L2 norm (``scaling="density"``) or L1 norm
(``"spectrum"``). A 1-d convolution with it, ``frame_step`` apart, is the short-time
Fourier transform. Angles are reduced modulo the period and evaluated in Python float64
before one rounding to the dtype, so every backend gets the same kernel.

Windows: ``"hann"``, ``"hamming"``, ``"blackman"``, ``"bartlett"``, ``"boxcar"``
(SciPy's definitions, symmetric unless ``periodic``), a sequence of values, or None.
"""

from __future__ import annotations

import math
from typing import Any

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe

from . import Initializer

__all__ = ["STFT", "window_values"]

_WINDOWS = ("hann", "hamming", "blackman", "bartlett", "boxcar")


def window_values(where: str, window: str, length: int, periodic: bool) -> list[float]:
    """SciPy's ``get_window(window, length, fftbins=periodic)`` for the common windows."""
    if window not in _WINDOWS:
        raise InvalidArgumentError(describe(where, "window", f"one of {_WINDOWS}, a sequence "
                                            "of values or None", repr(window)))
    if length == 1:
        return [1.0]
    m = length if periodic else length - 1  # a periodic window is one of length + 1, cut
    out = []
    for n in range(length):
        x = 2.0 * math.pi * n / m
        if window == "hann":
            out.append(0.5 - 0.5 * math.cos(x))
        elif window == "hamming":
            out.append(0.54 - 0.46 * math.cos(x))
        elif window == "blackman":
            out.append(0.42 - 0.5 * math.cos(x) + 0.08 * math.cos(2.0 * x))
        elif window == "bartlett":
            out.append(1.0 - abs(2.0 * n / m - 1.0))
        else:
            out.append(1.0)
    return out


class STFT(Initializer):
    """Real or imaginary DFT kernels, windowed and scaled (see the module docstring)."""

    def __init__(self, side: str = "real", window: Any = "hann", scaling: Any = "density",
                 periodic: bool = False) -> None:
        if side not in ("real", "imag"):
            raise InvalidArgumentError(describe("STFT", "side", "'real' or 'imag'",
                                                repr(side)))
        if isinstance(window, str):
            window_values("STFT", window, 1, periodic)  # an unknown name fails now
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise InvalidArgumentError(describe("STFT", "scaling", "None, 'density' or "
                                                "'spectrum'", repr(scaling)))
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        if len(tuple(shape)) != 3:
            raise ShapeError(describe("STFT", "shape", "(frame_length, 1, bins)",
                                      tuple(shape)))
        frame_length, channels, bins = (int(d) for d in shape)
        d = _dt.default_float() if dtype is None else _dt.canonicalize(dtype)
        win = None
        scale = 1.0
        if self.window is not None:
            if isinstance(self.window, str):
                win = window_values("STFT", self.window, frame_length, self.periodic)
            else:
                win = [float(v) for v in ops.convert_to_numpy(self.window).reshape(-1)] \
                    if hasattr(self.window, "shape") else [float(v) for v in self.window]
                if len(win) != frame_length:
                    raise ShapeError(describe("STFT", "window", f"{frame_length} values",
                                              f"{len(win)} values"))
            if self.scaling == "density":
                scale = math.sqrt(math.fsum(w * w for w in win))
            elif self.scaling == "spectrum":
                scale = math.fsum(abs(w) for w in win)
        period = 2 * (bins - 1)
        trig = math.cos if self.side == "real" else math.sin
        values = []
        for t in range(frame_length):
            w = 1.0 if win is None else win[t] / scale
            row = []
            for k in range(bins):
                # -2 pi t k / period, reduced modulo the period before the float64 angle
                angle = -2.0 * math.pi * ((t * k) % period) / period if period else 0.0
                row.append(trig(angle) * w)
            values.append([row] * channels)
        return ops.convert_to_tensor(values, d)

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if window is not None and not isinstance(window, str):
            window = [float(v) for v in ops.convert_to_numpy(window).reshape(-1)] \
                if hasattr(window, "shape") else [float(v) for v in window]
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}

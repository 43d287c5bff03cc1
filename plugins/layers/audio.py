"""Audio front ends: ``STFTSpectrogram`` and ``MelSpectrogram``, as in Keras 3.

``STFTSpectrogram`` is a strided 1-d convolution with windowed DFT kernels (the ``STFT``
initializer), so its kernels are ordinary weights (trainable unless the layer is frozen).
``MelSpectrogram`` is ``tw.ops.stft`` (reflect-padded, centered frames), the magnitude to
the power ``mag_exp``, an HTK mel filterbank and optionally decibels.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from tensorweave import ops
from tensorweave.errors import DTypeError, InvalidArgumentError, ShapeError

from .base import Layer
from .reshaping import layer_label, normalize_data_format

__all__ = ["STFTSpectrogram", "MelSpectrogram", "linear_to_mel_weight_matrix"]

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _arctan2(y: Any, x: Any) -> Any:
    """``atan2(y, x)`` from ``arctan`` (quadrant by the signs of ``x`` and ``y``)."""
    fn = getattr(ops, "arctan2", None)
    if fn is not None:
        return fn(y, x)
    safe_x = ops.where(ops.equal(x, 0.0), 1.0, x)
    base = ops.arctan(ops.divide(y, safe_x))
    half = ops.where(ops.less(y, 0.0), -math.pi / 2, math.pi / 2)
    shift = ops.where(ops.less(y, 0.0), -math.pi, math.pi)
    out = ops.where(ops.less(x, 0.0), ops.add(base, shift), base)
    on_axis = ops.where(ops.equal(y, 0.0), 0.0, half)
    return ops.where(ops.equal(x, 0.0), ops.cast(on_axis, base.dtype), out)


class STFTSpectrogram(Layer):
    """Spectrogram of ``(batch, time, channels)`` signals (``channels_first``: ``(batch,
    channels, time)``) by convolution with windowed DFT kernels; ``mode`` picks the
    output (log magnitude, magnitude, power spectral density, real, imaginary, angle or
    real and imaginary stacked)."""

    def __init__(self, mode: str = "log", frame_length: int = 256,
                 frame_step: int | None = None, fft_length: int | None = None,
                 window: Any = "hann", periodic: bool = False, scaling: Any = "density",
                 padding: str = "valid", expand_dims: bool = False,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise InvalidArgumentError(f"{where}: argument 'frame_step': expected a positive "
                                       f"int not above frame_length ({frame_length}), got "
                                       f"{frame_step!r}")
        if fft_length is not None and fft_length < frame_length:
            raise InvalidArgumentError(f"{where}: argument 'fft_length': expected at least "
                                       f"frame_length ({frame_length}), got {fft_length!r}")
        if mode not in _MODES:
            raise InvalidArgumentError(f"{where}: argument 'mode': expected one of {_MODES}, "
                                       f"got {mode!r}")
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise InvalidArgumentError(f"{where}: argument 'scaling': expected None, "
                                       f"'density' or 'spectrum', got {scaling!r}")
        if padding not in ("valid", "same"):
            raise InvalidArgumentError(f"{where}: argument 'padding': expected 'valid' or "
                                       f"'same', got {padding!r}")
        if isinstance(window, str):
            from tensorweave.plugins.initializers.stft import window_values

            window_values(where, window, 1, periodic)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = normalize_data_format(where, data_format)

    def build(self, input_shape: Any) -> None:
        from tensorweave.plugins.initializers.stft import STFT

        if len(tuple(input_shape)) != 3:
            raise ShapeError(f"{layer_label(self)}: expected 3-d inputs (batch, time, "
                             f"channels), got shape {tuple(input_shape)}")
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                shape, STFT("real", self.window, self.scaling, self.periodic),
                name="real_kernel")
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                shape, STFT("imag", self.window, self.scaling, self.periodic),
                name="imag_kernel")
        self.built = True

    def _conv(self, inputs: Any, kernel: Any) -> Any:
        """(batch, channels, bins, frames) of one kernel."""
        x = inputs if self.data_format == "channels_first" else ops.transpose(inputs,
                                                                              (0, 2, 1))
        channels, time = x.shape[1], x.shape[2]
        x = ops.reshape(x, (-1, time, 1))
        y = ops.conv(x, ops.cast(kernel, x.dtype), strides=self._frame_step,
                     padding=self.padding)  # (batch * channels, frames, bins)
        y = ops.transpose(y, (0, 2, 1))
        return ops.reshape(y, (-1, channels, y.shape[1], y.shape[2]))

    def _adjust(self, y: Any) -> Any:
        _, channels, bins, frames = y.shape
        if self.data_format == "channels_last":
            if self.expand_dims:
                return ops.transpose(y, (0, 3, 2, 1))
            return ops.transpose(ops.reshape(y, (-1, channels * bins, frames)), (0, 2, 1))
        if self.expand_dims:
            return ops.transpose(y, (0, 1, 3, 2))
        return ops.reshape(y, (-1, channels * bins, frames))

    def call(self, inputs: Any) -> Any:
        if inputs.dtype.name not in ("float16", "float32", "float64"):
            raise DTypeError(f"{layer_label(self)}: expected float16, float32 or float64 "
                             f"inputs, got {inputs.dtype}")
        from tensorweave.backend import epsilon

        real = self._conv(inputs, self.real_kernel) if self.mode != "imag" else None
        imag = self._conv(inputs, self.imag_kernel) if self.mode != "real" else None
        if self.mode == "real":
            return self._adjust(real)
        if self.mode == "imag":
            return self._adjust(imag)
        if self.mode == "angle":
            return self._adjust(_arctan2(imag, real))
        if self.mode == "stft":
            return self._adjust(ops.concatenate([real, imag], axis=2))
        power = ops.add(ops.square(real), ops.square(imag))
        if self.mode == "psd":
            inner = ops.pad(power[:, :, 1:-1, :], ((0, 0), (0, 0), (1, 1), (0, 0)))
            return self._adjust(ops.add(power, inner))
        eps = epsilon()
        linear = self._adjust(ops.sqrt(ops.maximum(power, eps)))
        if self.mode == "magnitude":
            return linear
        return ops.log(ops.maximum(linear, eps))


_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def _hertz_to_mel(f: float) -> float:
    return _MEL_HIGH_FREQUENCY_Q * math.log(1.0 + f / _MEL_BREAK_FREQUENCY_HERTZ)


def linear_to_mel_weight_matrix(num_mel_bins: int = 20, num_spectrogram_bins: int = 129,
                                sampling_rate: float = 8000,
                                lower_edge_hertz: float = 125.0,
                                upper_edge_hertz: float = 3800.0) -> list[list[float]]:
    """HTK-convention triangular mel filters (peak 1), ``(spectrogram_bins, mel_bins)``,
    in Python floats; the zero-frequency bin gets no weight."""
    nyquist = sampling_rate / 2.0
    step = nyquist / (num_spectrogram_bins - 1) if num_spectrogram_bins > 1 else 0.0
    lo, hi = _hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz)
    edges = [lo + (hi - lo) * i / (num_mel_bins + 1) for i in range(num_mel_bins + 2)]
    rows = [[0.0] * num_mel_bins]
    for b in range(1, num_spectrogram_bins):
        mel = _hertz_to_mel(b * step)
        row = []
        for m in range(num_mel_bins):
            lower = (mel - edges[m]) / (edges[m + 1] - edges[m])
            upper = (edges[m + 2] - mel) / (edges[m + 2] - edges[m + 1])
            row.append(max(0.0, min(lower, upper)))
        rows.append(row)
    return rows


@lru_cache(maxsize=16)
def _mel_tensor(num_mel_bins: int, bins: int, rate: float, lo: float, hi: float,
                dtype: str, backend: str) -> Any:
    """The filterbank as a tensor of ``backend``, built once per configuration."""
    return ops.convert_to_tensor(linear_to_mel_weight_matrix(num_mel_bins, bins, rate, lo, hi),
                                 dtype, backend=backend)


def _mel_tensor_for(num_mel_bins: int, bins: int, rate: float, lo: float, hi: float,
                    dtype: str) -> Any:
    from tensorweave.backend_registry import current

    return _mel_tensor(num_mel_bins, bins, rate, lo, hi, dtype, current().name)


class MelSpectrogram(Layer):
    """Mel spectrogram of ``(batch, samples)`` (or ``(samples,)``) audio: ``(batch,
    num_mel_bins, frames)``, in decibels (clipped ``top_db`` below the maximum) when
    ``power_to_db``."""

    def __init__(self, fft_length: int = 2048, sequence_stride: int = 512,
                 sequence_length: int | None = None, window: Any = "hann",
                 sampling_rate: int = 16000, num_mel_bins: int = 128, min_freq: float = 20.0,
                 max_freq: float | None = None, power_to_db: bool = True,
                 top_db: float = 80.0, mag_exp: float = 2.0, min_power: float = 1e-10,
                 ref_power: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'fft_length': must be "
                                       f">= sequence_length ({self.sequence_length}), got "
                                       f"{fft_length}")
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power

    def call(self, inputs: Any) -> Any:
        compute = self.compute_dtype
        dtype = compute if compute in ("float32", "float64") else "float32"
        x = ops.cast(inputs, dtype) if inputs.dtype.name != dtype else inputs
        real, imag = ops.stft(x, self.sequence_length, self.sequence_stride, self.fft_length,
                              window=self.window, center=True)
        spec = ops.sqrt(ops.add(ops.square(real), ops.square(imag)))
        spec = ops.power(spec, float(self.mag_exp))
        weights = _mel_tensor_for(self.num_mel_bins, spec.shape[-1], float(self.sampling_rate),
                                  float(self.min_freq), float(self.max_freq), spec.dtype.name)
        mel = ops.tensordot(spec, weights, axes=1)
        if self.power_to_db:
            log_spec = ops.multiply(ops.log10(ops.maximum(mel, self.min_power)), 10.0)
            ref = 10.0 * math.log10(max(abs(float(self.ref_power)), self.min_power))
            log_spec = ops.subtract(log_spec, ref)
            mel = ops.maximum(log_spec, ops.subtract(ops.max(log_spec), self.top_db))
        out = ops.swapaxes(mel, -1, -2)
        return ops.cast(out, compute) if out.dtype.name != compute else out

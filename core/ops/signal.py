"""Fourier transforms and short-time Fourier transforms, as ``keras.ops`` spells them.

Keras passes complex numbers as ``(real, imag)`` tuples of float tensors, so no complex
dtype is needed: every transform here is a discrete Fourier transform written as matmuls
with cosine and sine matrices (built in Python, in float64, from angles reduced modulo
``n``). That makes them composites of ``matmul``: they run on every backend and
differentiate like any other graph. It is O(n^2) per transform, which is fine for the
frame lengths of audio features (a few hundred bins).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ._dispatch import apply, convert_to_tensor, defop, is_tensor

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "extract_sequences"]


def _prep(name: str, x: Any) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _float(name: str, x: Any) -> Any:
    from ..backend import floatx
    from .elementwise import cast

    x = _prep(name, x)
    return x if x.dtype.is_floating else cast(x, floatx())


@lru_cache(maxsize=64)
def _trig(n_in: int, n_out: int, n: int) -> tuple[list, list]:
    """``cos`` and ``sin`` of ``2 pi t k / n`` for ``t < n_in`` (rows), ``k < n_out``, as
    flat row-major lists (one table of ``n`` angles, indexed by ``t * k mod n``)."""
    cos_t = [math.cos(2.0 * math.pi * j / n) for j in range(n)]
    sin_t = [math.sin(2.0 * math.pi * j / n) for j in range(n)]
    idx = [(t * k) % n for t in range(n_in) for k in range(n_out)]
    return [cos_t[j] for j in idx], [sin_t[j] for j in idx]


@lru_cache(maxsize=64)
def _matrix(kind: str, n_in: int, n_out: int, n: int, dtype: Any, backend: Any) -> Any:
    """The DFT matrix ``kind`` as a tensor, built once per size, dtype and backend (the
    numbers are fixed; rebuilding a 2048-point one per call would dominate a spectrogram)."""
    from ._dispatch import wrap

    cos, sin = _trig(n_in, n_out, n)
    if kind == "cos":
        vals = cos
    elif kind == "-sin":
        vals = [-v for v in sin]
    elif kind in ("icos", "isin"):  # irfft: weights 1 (DC, Nyquist) or 2, divided by n
        vals = []
        for t in range(n_in):
            w = (1.0 if t == 0 or (n % 2 == 0 and t == n // 2) else 2.0) / n
            row = (cos if kind == "icos" else sin)[t * n_out:(t + 1) * n_out]
            vals.extend([w * v for v in row] if kind == "icos" else [-w * v for v in row])
    else:
        vals = sin
    return wrap(backend.from_flat(vals, (n_in, n_out), dtype), (n_in, n_out), dtype, backend)


def _dft(kind: str, n_in: int, n_out: int, n: int, like: Any) -> Any:
    from ..backend_registry import current

    backend = getattr(like, "_backend", None) or current()
    return _matrix(kind, n_in, n_out, n, like.dtype, backend)


def _const(values: Any, like: Any) -> Any:
    backend = getattr(like, "_backend", None)
    return convert_to_tensor(values, like.dtype, backend=backend)


def _complex(name: str, x: Any) -> tuple:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise InvalidArgumentError(f"{name}: argument 'x': expected a tuple (real, imag) of "
                                   f"two tensors, got {type(x).__name__}")
    re, im = _prep(name, x[0]), _prep(name, x[1])
    if tuple(re.shape) != tuple(im.shape):
        raise ShapeError(f"{name}: argument 'x': the real and imaginary parts must have the "
                         f"same shape, got {tuple(re.shape)} and {tuple(im.shape)}")
    if not re.dtype.is_floating or not im.dtype.is_floating:
        raise DTypeError(f"{name}: argument 'x': expected float tensors, got {re.dtype} and "
                         f"{im.dtype}")
    if re.dtype is not im.dtype:
        from .dispatch_helpers import promote_pair

        re, im = promote_pair(name, re, im)
    if re.ndim < 1:
        raise ShapeError(f"{name}: argument 'x': expected at least 1 dim, got a scalar")
    return re, im


def _dft_last(re: Any, im: Any, inverse: bool) -> tuple:
    """The (inverse) DFT along the last axis of ``re + i im``."""
    from .elementwise import add, divide, subtract
    from .linalg import matmul

    n = re.shape[-1]
    c, s = _dft("cos", n, n, n, re), _dft("sin", n, n, n, re)
    if not inverse:  # sum (re + i im)(cos - i sin)
        return add(matmul(re, c), matmul(im, s)), subtract(matmul(im, c), matmul(re, s))
    out_re = subtract(matmul(re, c), matmul(im, s))
    out_im = add(matmul(im, c), matmul(re, s))
    return divide(out_re, float(n)), divide(out_im, float(n))


def fft(x: Any) -> tuple:
    """Fast Fourier transform along the last axis of ``x = (real, imag)``."""
    return _dft_last(*_complex("fft", x), inverse=False)


def _two_d(name: str, x: Any, inverse: bool) -> tuple:
    from .shape import swapaxes

    re, im = _complex(name, x)
    if re.ndim < 2:
        raise ShapeError(f"{name}: argument 'x': expected at least 2 dims, got "
                         f"{tuple(re.shape)}")
    re, im = _dft_last(re, im, inverse)
    re, im = _dft_last(swapaxes(re, -1, -2), swapaxes(im, -1, -2), inverse)
    return swapaxes(re, -1, -2), swapaxes(im, -1, -2)


def fft2(x: Any) -> tuple:
    """2-d FFT over the last two axes of ``x = (real, imag)``."""
    return _two_d("fft2", x, inverse=False)


def ifft2(x: Any) -> tuple:
    """Inverse 2-d FFT over the last two axes of ``x = (real, imag)``."""
    return _two_d("ifft2", x, inverse=True)


def _fit_last(x: Any, n: int) -> Any:
    """Crop or zero-pad the last axis to ``n``."""
    from .indexing import getitem
    from .shape import pad

    m = x.shape[-1]
    if m > n:
        return getitem(x, (Ellipsis, slice(0, n)))
    if m < n:
        return pad(x, [(0, 0)] * (x.ndim - 1) + [(0, n - m)])
    return x


def _rfft_rule(specs: list, fft_length: int) -> list:
    (x,) = specs
    out = tuple(x.shape[:-1]) + (fft_length // 2 + 1,)
    return [(out, x.dtype), (out, x.dtype)]


def _rfft_decompose(x: Any, fft_length: int) -> tuple:
    from .linalg import matmul

    n = fft_length
    x = _fit_last(x, n)
    return (matmul(x, _dft("cos", n, n // 2 + 1, n, x)),
            matmul(x, _dft("-sin", n, n // 2 + 1, n, x)))


# A composite: DFT matmuls everywhere, differentiated through them; a backend with an FFT
# (numpy, cupy) registers a kernel, O(n log n) instead of O(n^2).
RFFT = defop("rfft", _rfft_rule, decompose=_rfft_decompose, multi_output=True,
             family="signal", doc="Real FFT along the last axis: (real, imag) of the "
                                  "fft_length // 2 + 1 non-negative frequencies.")


def rfft(x: Any, fft_length: int | None = None) -> tuple:
    """FFT of a real signal along the last axis: ``(real, imag)`` of the
    ``fft_length // 2 + 1`` non-negative frequencies (the signal cropped or zero-padded to
    ``fft_length``)."""
    x = _float("rfft", x)
    if x.ndim < 1:
        raise ShapeError("rfft: argument 'x': expected at least 1 dim, got a scalar")
    n = x.shape[-1] if fft_length is None else int(fft_length)
    if n is None or n < 1:
        raise InvalidArgumentError(f"rfft: argument 'fft_length': expected a positive int, "
                                   f"got {fft_length!r}")
    return tuple(apply(RFFT, (x,), {"fft_length": n}))


def irfft(x: Any, fft_length: int | None = None) -> Any:
    """Inverse of :func:`rfft`: a real signal of length ``fft_length`` (default
    ``2 * (bins - 1)``) from ``x = (real, imag)`` of the non-negative frequencies; the
    imaginary parts of the zero and Nyquist frequencies are ignored, as in NumPy."""
    from .elementwise import add
    from .linalg import matmul

    re, im = _complex("irfft", x)
    m = re.shape[-1]
    n = 2 * (m - 1) if fft_length is None else int(fft_length)
    if n < 1:
        raise InvalidArgumentError(f"irfft: argument 'fft_length': expected a positive int, "
                                   f"got {fft_length!r}")
    bins = n // 2 + 1
    re, im = _fit_last(re, bins), _fit_last(im, bins)
    return add(matmul(re, _dft("icos", bins, n, n, re)),
               matmul(im, _dft("isin", bins, n, n, im)))


def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Any:
    """Frames of ``sequence_length`` samples every ``sequence_stride`` along the last axis:
    ``(..., num_sequences, sequence_length)``."""
    from .nn import extract_patches
    from .shape import reshape

    x = _prep("extract_sequences", x)
    if x.ndim < 1:
        raise ShapeError("extract_sequences: argument 'x': expected at least 1 dim")
    seq, step = int(sequence_length), int(sequence_stride)
    if seq < 1 or step < 1:
        raise InvalidArgumentError(f"extract_sequences: sequence_length and sequence_stride "
                                   f"must be positive, got {sequence_length!r} and "
                                   f"{sequence_stride!r}")
    *batch, length = x.shape
    if length < seq:
        raise ShapeError(f"extract_sequences: argument 'sequence_length': {seq} is longer "
                         f"than the signal ({length} samples)")
    flat = reshape(x, (-1, length, 1))
    frames = extract_patches(flat, (seq,), (step,))
    return reshape(frames, (*_lead(batch), frames.shape[1], seq))


def _lead(batch: list) -> tuple:
    """Leading dims for a reshape: an unknown (batch) size becomes -1."""
    return tuple(-1 if d is None else d for d in batch)


def _window(name: str, window: Any, sequence_length: int, fft_length: int, like: Any) -> Any:
    """The analysis window, zero-padded (centered) to ``fft_length``; None for no window."""
    if window is None:
        return None
    if isinstance(window, str):
        if window == "hann":
            vals = [0.5 - 0.5 * math.cos(2.0 * math.pi * i / sequence_length)
                    for i in range(sequence_length)]
        elif window == "hamming":
            vals = [0.54 - 0.46 * math.cos(2.0 * math.pi * i / sequence_length)
                    for i in range(sequence_length)]
        else:
            raise InvalidArgumentError(f"{name}: argument 'window': expected 'hann', "
                                       f"'hamming', a tensor or None, got {window!r}")
        win = _const(vals, like)
    else:
        from .elementwise import cast

        win = cast(_prep(name, window), like.dtype)
        if win.ndim != 1 or win.shape[0] != sequence_length:
            raise ShapeError(f"{name}: argument 'window': expected shape "
                             f"({sequence_length},), got {tuple(win.shape)}")
    left = (fft_length - sequence_length) // 2
    right = fft_length - sequence_length - left
    if left or right:
        from .shape import pad

        win = pad(win, [(left, right)])
    return win


def _reflect_pad_last(x: Any, p: int) -> Any:
    from .indexing import getitem
    from .shape import concatenate, flip

    if p == 0:
        return x
    n = x.shape[-1]
    if p >= n:
        raise ShapeError(f"stft: center=True pads {p} samples by reflection, which needs a "
                         f"signal longer than that (got {n})")
    left = flip(getitem(x, (Ellipsis, slice(1, p + 1))), -1)
    right = flip(getitem(x, (Ellipsis, slice(n - p - 1, n - 1))), -1)
    return concatenate([left, x, right], axis=-1)


def stft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int,
         window: Any = "hann", center: bool = True) -> tuple:
    """Short-time Fourier transform: ``(real, imag)`` of shape ``(..., frames,
    fft_length // 2 + 1)``. With ``center`` the signal is reflect-padded by
    ``fft_length // 2`` on both sides; the window (periodic Hann/Hamming, or a tensor of
    ``sequence_length`` values) is centered in each ``fft_length`` frame."""
    from .elementwise import multiply

    x = _prep("stft", x)
    if x.dtype.name not in ("float32", "float64"):
        raise DTypeError(f"stft: argument 'x': expected float32 or float64, got {x.dtype}")
    seq, step, nfft = int(sequence_length), int(sequence_stride), int(fft_length)
    if nfft < seq:
        raise InvalidArgumentError(f"stft: argument 'fft_length': must be >= sequence_length "
                                   f"({seq}), got {nfft}")
    win = _window("stft", window, seq, nfft, x)
    if center:
        x = _reflect_pad_last(x, nfft // 2)
    frames = extract_sequences(x, nfft, step)
    if win is not None:
        frames = multiply(frames, win)
    return rfft(frames, nfft)


def istft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int,
          length: int | None = None, window: Any = "hann", center: bool = True) -> Any:
    """Inverse of :func:`stft` by weighted overlap-add (each frame's inverse FFT times the
    window, divided by the overlapped squared window), then trimmed as Keras does."""
    from .elementwise import divide, greater, multiply, where
    from .indexing import getitem
    from .nn import patches_transpose
    from .shape import reshape

    re, im = _complex("istft", x)
    if re.ndim < 2:
        raise ShapeError(f"istft: argument 'x': expected at least 2 dims, got "
                         f"{tuple(re.shape)}")
    seq, step, nfft = int(sequence_length), int(sequence_stride), int(fft_length)
    *batch, nframes, _ = re.shape
    out_len = nfft + step * (nframes - 1)
    win = _window("istft", window, seq, nfft, re)
    frames = irfft((re, im), nfft)  # (..., frames, nfft)

    def overlap_add(f: Any) -> Any:  # (n, frames, nfft) -> (n, out_len)
        return reshape(patches_transpose(f, (nfft,), (step,), (1,), (out_len, 1)),
                       (-1, out_len))

    flat = reshape(frames, (-1, nframes, nfft))
    if win is not None:
        signal = overlap_add(multiply(flat, win))
        w2 = reshape(multiply(win, win), (1, 1, nfft))
        from .shape import broadcast_to

        norm = overlap_add(broadcast_to(w2, (1, nframes, nfft)))
        signal = divide(signal, where(greater(norm, 1e-10), norm, 1.0))
    else:
        ones = convert_to_tensor([[[1.0] * nfft] * nframes], re.dtype,
                                 backend=getattr(re, "_backend", None))
        norm = overlap_add(ones)
        signal = divide(overlap_add(flat), where(greater(norm, 1e-10), norm, 1.0))
        # Keras divides by the stride where JAX's istft multiplied by the window's sum
        signal = multiply(signal, float(nfft) / float(step))
    start = nfft // 2 if center else 0
    if length is not None:
        end = start + int(length)
    elif center:
        end = out_len - nfft // 2
    else:
        end = out_len
    end = max(start, min(end, out_len))
    signal = getitem(signal, (slice(None), slice(start, end)))
    return reshape(signal, (*_lead(batch), end - start))

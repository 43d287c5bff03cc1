"""A short tour of tensorweave's eager ops, run on the current backend.

    python3 examples/ops_tour.py                          # default backend (numpy)
    TENSORWEAVE_BACKEND=python python3 examples/ops_tour.py

It prints a few eager ops, then fits a line to seeded random data with gradient descent
(``tw.value_and_grad``), and says which backend ran it. The random numbers are the same,
bit for bit, on every backend, so the printed fit is the same on numpy and python.
"""

from __future__ import annotations

import time

import tensorweave as tw
from tensorweave import ops


def show(label: str, value: object) -> None:
    print(f"  {label:<34} {value}")


def eager_ops() -> None:
    print("eager ops")
    x = ops.arange(6, dtype="float32").reshape(2, 3)
    show("x = arange(6).reshape(2, 3)", x.tolist())
    show("x * 2 + 1", (x * 2 + 1).tolist())
    show("x @ x.T", (x @ x.T).tolist())
    show("sum(x, axis=0)", ops.sum(x, axis=0).tolist())
    show("softmax(x[0])", [round(v, 4) for v in ops.softmax(x[0]).tolist()])
    show("x[:, ::-1]", x[:, ::-1].tolist())
    show("logsumexp([1000, 1000])", round(ops.logsumexp(ops.convert_to_tensor(
        [1000.0, 1000.0])).item(), 4))
    i8 = ops.convert_to_tensor([100, 27], "int8")
    show("int8 tensor + 1 (weak scalar)", f"{(i8 + 1).tolist()} {(i8 + 1).dtype}")
    show("int32 tensor * 0.5", f"{(ops.arange(3) * 0.5).tolist()} "
                               f"{(ops.arange(3) * 0.5).dtype}")
    show("einsum('ij,ij->i', x, x)", ops.einsum("ij,ij->i", x, x).tolist())


def seeded_fit(steps: int = 200, lr: float = 0.1) -> None:
    print("seeded computation: fit y = X @ w + b by gradient descent")
    n, d = 64, 3
    true_w = ops.convert_to_tensor([[2.0], [-1.0], [0.5]])
    true_b = 0.25
    X = tw.random.normal((n, d), seed=0)
    noise = tw.random.normal((n, 1), stddev=0.01, seed=1)
    y = X @ true_w + true_b + noise

    def loss_fn(params, X, y):
        w, b = params
        err = X @ w + b - y
        return ops.mean(err * err)

    step = tw.value_and_grad(loss_fn)
    params = [ops.zeros((d, 1)), ops.zeros((1,))]
    first = None
    for _ in range(steps):
        loss, grads = step(params, X, y)
        first = loss.item() if first is None else first
        params = [p - lr * g for p, g in zip(params, grads)]
    w, b = params
    show("first X row (seed=0)", [round(v, 6) for v in X[0].tolist()])
    show("loss: first -> last", f"{first:.6f} -> {loss.item():.6f}")
    show("fitted w (true 2, -1, 0.5)", [round(v, 3) for v in ops.ravel(w).tolist()])
    show("fitted b (true 0.25)", round(b.item(), 3))


def main() -> None:
    t0 = time.perf_counter()
    backend = tw.get_backend(tw.backend())
    print(f"tensorweave {tw.__version__} on backend {backend.name!r} "
          f"({backend.device_description()})")
    eager_ops()
    seeded_fit()
    print(f"ran on backend {tw.backend()!r} in {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()

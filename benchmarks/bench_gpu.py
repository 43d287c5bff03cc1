"""GPU training steps: tensorweave on the cupy backend vs PyTorch on CUDA, one run.

    python benchmarks/bench_gpu.py [--steps 50] [--rounds 5]

MLP step: 784-512-512-10, ReLU, softmax cross-entropy, SGD 0.01, batch 128, float32.
CNN step: conv3x3(32)-relu-pool2-conv3x3(64)-relu-pool2-dense(10), 'valid', batch 64,
28x28x1 inputs. Both frameworks run the same steps interleaved in rounds; each step ends
with a device synchronisation (cupy: the loss read to the host; torch: cuda.synchronize)
so the time covers the work, not just the launches. Prints medians and ratios
(tensorweave / torch). Targets: MLP <= 1.0x, CNN <= 1.5x PyTorch eager.

Without a GPU (or without CuPy) it prints why and exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _tw_steps(kind: str, batch: int) -> tuple:
    import tensorweave as tw
    from tensorweave import layers

    with tw.backend_scope("cupy"):
        tw.utils.set_random_seed(0)
        if kind == "mlp":
            model = tw.Sequential([tw.Input((784,)), layers.Dense(512, activation="relu"),
                                   layers.Dense(512, activation="relu"), layers.Dense(10)])
            x = np.random.rand(batch, 784).astype("float32")
        else:
            model = tw.Sequential([tw.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                                   layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
                                   layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10)])
            x = np.random.rand(batch, 28, 28, 1).astype("float32")
        y = np.random.randint(0, 10, batch).astype("int32")
        model.compile(tw.optimizers.SGD(0.01),
                      tw.losses.SparseCategoricalCrossentropy(from_logits=True))
        xs = tw.ops.convert_to_tensor(x, backend="cupy")
        ys = tw.ops.convert_to_tensor(y, backend="cupy")

        def step() -> float:
            return model.train_on_batch(xs, ys)

        return step, model


def _torch_step(kind: str, batch: int) -> object:
    import torch
    from torch import nn

    torch.manual_seed(0)
    dev = torch.device("cuda")
    if kind == "mlp":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                            nn.Linear(512, 10)).to(dev)
        x = torch.rand(batch, 784, device=dev)
    else:
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                            nn.Linear(64 * 5 * 5, 10)).to(dev)
        x = torch.rand(batch, 1, 28, 28, device=dev)
    y = torch.randint(0, 10, (batch,), device=dev)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        torch.cuda.synchronize()
        return 0.0

    return step


def _time(step: object, n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        step()  # type: ignore[operator]
    return (time.perf_counter() - t) / n * 1e3


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    import tensorweave as tw

    info = next(i for i in tw.list_backends() if i.name == "cupy")
    if not info.available:
        print(f"cupy backend unavailable: {info.reason}; nothing to measure")
        return
    try:
        import torch

        has_torch = torch.cuda.is_available()
    except ImportError:
        has_torch = False
    print(f"device: {tw.get_backend('cupy').device_description()}; torch: {has_torch}")
    for kind, batch in (("mlp", 128), ("cnn", 64)):
        tw_step, _ = _tw_steps(kind, batch)
        th_step = _torch_step(kind, batch) if has_torch else None
        for s in (tw_step, th_step):
            if s is not None:
                _time(s, 5)  # warm-up: compile, allocate the pool, autotune
        tw_t, th_t, ratios = [], [], []
        for _ in range(a.rounds):
            tw_t.append(_time(tw_step, a.steps))
            if th_step is not None:
                th_t.append(_time(th_step, a.steps))
                ratios.append(tw_t[-1] / th_t[-1])
        line = f"{kind}: tensorweave/cupy {statistics.median(tw_t):.3f} ms/step"
        if th_t:
            line += (f", torch/cuda {statistics.median(th_t):.3f} ms/step, ratio "
                     f"{statistics.median(ratios):.2f}x")
        print(line)


if __name__ == "__main__":
    main()

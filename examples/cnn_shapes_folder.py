"""A CNN on folders of images, the Keras 2 way: ImageDataGenerator + flow_from_directory.

The script draws its own small data set first (needs Pillow: ``pip install
tensorweave[image]``): 24x24 white PNGs with a black circle, rectangle or triangle of
random size and position, one sub-folder per class, in a temporary directory::

    shapes/train/circle/circle_00.png ...   (--per-class images per class)
    shapes/test/circle/circle_00.png ...    (a third as many, drawn with another seed)

It then trains the getting-started CNN with real-time augmentation (small rotations,
shifts and zooms), evaluates on the held-out folder and predicts its classes, with
Keras 2's generator spellings (``fit_generator``, ``evaluate_generator``,
``predict_generator``); ``fit``/``evaluate``/``predict`` take the same iterators.

    python examples/cnn_shapes_folder.py              # ~96-100% test accuracy
    python examples/cnn_shapes_folder.py --epochs 5   # quicker (and less accurate)
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import tensorweave as tw
from tensorweave import layers
from tensorweave.preprocessing.image import ImageDataGenerator

CLASSES = ("circle", "rectangle", "triangle")


def draw_shapes(root: str, per_class: int, seed: int, size: int = 24) -> None:
    """One folder per class of outlined shapes, as the tutorial's hand-drawn ones."""
    from PIL import Image, ImageDraw

    rng = np.random.RandomState(seed)
    for cls in CLASSES:
        folder = os.path.join(root, cls)
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            img = Image.new("RGB", (size, size), "white")
            pen = ImageDraw.Draw(img)
            cx, cy = rng.uniform(0.38 * size, 0.62 * size, 2)
            r = rng.uniform(0.2 * size, 0.33 * size)
            box = [cx - r, cy - r, cx + r, cy + r]
            if cls == "circle":
                pen.ellipse(box, outline="black", width=2)
            elif cls == "rectangle":
                pen.rectangle(box, outline="black", width=2)
            else:
                pen.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)],
                            outline="black", width=2)
            img.save(os.path.join(folder, f"{cls}_{i:02d}.png"))


def build_model() -> tw.Sequential:
    model = tw.Sequential([
        tw.Input((24, 24, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(len(CLASSES), activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=tw.optimizers.Adam(3e-3),
                  metrics=["accuracy"])
    return model


def main(epochs: int = 20, per_class: int = 30, batch_size: int = 6, seed: int = 0,
         verbose: int = 1, workdir: str | None = None) -> float:
    tw.utils.set_random_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(workdir or tmp, "shapes")
        draw_shapes(os.path.join(root, "train"), per_class, seed=seed)
        draw_shapes(os.path.join(root, "test"), max(1, per_class // 3), seed=seed + 1000)

        train_datagen = ImageDataGenerator(rescale=1.0 / 255, rotation_range=10,
                                           width_shift_range=0.1, height_shift_range=0.1,
                                           zoom_range=0.1, fill_mode="nearest")
        test_datagen = ImageDataGenerator(rescale=1.0 / 255)
        train_generator = train_datagen.flow_from_directory(
            os.path.join(root, "train"), target_size=(24, 24), color_mode="grayscale",
            batch_size=batch_size, class_mode="categorical", seed=seed)
        test_generator = test_datagen.flow_from_directory(
            os.path.join(root, "test"), target_size=(24, 24), color_mode="grayscale",
            batch_size=batch_size, class_mode="categorical", shuffle=False)
        print("classes:", train_generator.class_indices)

        model = build_model()
        model.fit_generator(train_generator, steps_per_epoch=len(train_generator),
                            epochs=epochs, validation_data=test_generator,
                            validation_steps=len(test_generator), verbose=verbose)

        loss, acc = model.evaluate_generator(test_generator, steps=len(test_generator),
                                             verbose=0)
        print(f"test loss {loss:.4f}  test accuracy {acc:.4f}  ({epochs} epochs)")

        test_generator.reset()
        probs = model.predict_generator(test_generator, steps=len(test_generator), verbose=0)
        names = {v: k for k, v in test_generator.class_indices.items()}
        for fname, p in list(zip(test_generator.filenames, probs))[:: max(1, len(probs) // 5)]:
            print(f"  {fname:28s} -> {names[int(p.argmax())]} ({p.max():.2f})")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(args.epochs, args.per_class, seed=args.seed, verbose=args.verbose)

"""``tw.preprocessing``: Keras 2's ``keras.preprocessing`` for images.

``tw.preprocessing.image`` holds ``ImageDataGenerator``, ``load_img`` & co;
``tw.preprocessing.image_dataset_from_directory`` is Keras 3's folder loader (also in
``tw.utils``). Pillow is needed only to read or write image files
(``pip install tensorweave[image]``).
"""

from __future__ import annotations

from . import image
from .image import ImageDataGenerator
from .image_dataset import image_dataset_from_directory

__all__ = ["image", "ImageDataGenerator", "image_dataset_from_directory"]

"""``Pipeline``: a list of layers applied in order, as one layer (Keras 3's
``keras.layers.Pipeline``, meant for preprocessing chains such as resize-rescale-augment;
unlike ``Sequential`` it is a plain layer, not a model)."""

from __future__ import annotations

from typing import Any

from tensorweave.errors import InvalidArgumentError

from .base import Layer

__all__ = ["Pipeline"]


class Pipeline(Layer):
    """``Pipeline([a, b, c])(x)`` is ``c(b(a(x)))``; ``training`` goes to the layers that
    take it, and each layer's output mask to the next."""

    def __init__(self, layers: list, name: str | None = None) -> None:
        super().__init__(name=name)
        if not isinstance(layers, (list, tuple)) or not all(
                isinstance(layer, Layer) for layer in layers):
            raise InvalidArgumentError(f"Pipeline {self.name!r}: argument 'layers': expected "
                                       f"a list of layers, got {layers!r}")
        self._pipeline_layers = list(layers)

    @property
    def layers(self) -> list:
        return self._pipeline_layers

    def call(self, inputs: Any, training: Any = True, mask: Any = None) -> Any:
        outputs = inputs
        for layer in self._pipeline_layers:
            kwargs: dict = {}
            params = layer._call_params()
            if "mask" in params and mask is not None:
                kwargs["mask"] = mask
            if "training" in params and training is not None:
                kwargs["training"] = training
            outputs = layer(outputs, **kwargs)
            mask = getattr(outputs, "_keras_mask", None)
        return outputs

    def get_config(self) -> dict:
        from tensorweave.saving import serialize_layer

        return {"layers": [serialize_layer(layer) for layer in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> Pipeline:
        from tensorweave.saving import deserialize_layer

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise InvalidArgumentError("Pipeline.from_config: expected a 'layers' list of "
                                       f"serialized layers, got {layers!r}")
        return cls([deserialize_layer(c, custom_objects) for c in layers],
                   name=config.get("name"))

"""Built-in layers plugin: registers every layer class through ``register_layers``."""

from __future__ import annotations

from typing import Any

from tensorweave.plugin import hookimpl

from . import image_color, merging
from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .adaptive_pooling import (  # noqa: I001
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from .attention import AdditiveAttention, Attention, GroupedQueryAttention, MultiHeadAttention
from .base import Input, InputLayer, Layer
from .categorical import CategoryEncoding, Discretization
from .conv import (
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from .conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from .core import Activation, Dense, Dropout, Flatten, Masking
from .einsum_dense import EinsumDense
from .embedding import Embedding, ReversibleEmbedding
from .image_augmentation import (
    CenterCrop,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
)
from .input_spec import InputSpec
from .merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract
from .noise import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from .pipeline import Pipeline
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .preprocessing import Identity, Normalization, Rescaling
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from .reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Lambda,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .wrappers import Bidirectional, SpectralNormalization, TimeDistributed, Wrapper

LAYERS = [Layer, InputLayer, Dense, EinsumDense, Activation, Dropout, Flatten, Masking,
          # reshaping
          Reshape, Permute, RepeatVector, Lambda, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D,
          UpSampling1D, UpSampling2D, UpSampling3D, Cropping1D, Cropping2D, Cropping3D,
          # convolution
          Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
          DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
          # pooling
          MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D,
          AveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
          GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
          AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D,
          AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D,
          # normalization, embedding, merging
          BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization,
          RMSNormalization, Embedding, ReversibleEmbedding,
          Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
          # recurrent and wrappers
          SimpleRNN, LSTM, GRU, Wrapper, TimeDistributed, Bidirectional,
          SpectralNormalization, ConvLSTM1D, ConvLSTM2D, ConvLSTM3D,
          RNN, SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells,
          # attention
          MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention,
          # activations with parameters
          ReLU, LeakyReLU, PReLU, ELU, Softmax,
          # regularization
          GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D, SpatialDropout2D,
          SpatialDropout3D, ActivityRegularization,
          # preprocessing inside the model
          Identity, Rescaling, Normalization, CategoryEncoding, Discretization, Pipeline,
          # image preprocessing and augmentation
          Resizing, CenterCrop, RandomCrop, RandomFlip, RandomRotation, RandomZoom,
          RandomTranslation, RandomContrast, RandomBrightness]

# Keras 3's colour, mixing and extra geometric augmentation layers
LAYERS += [getattr(image_color, name) for name in image_color.__all__]

#: Keras's alternative class names (``keras.layers.MaxPool2D is MaxPooling2D`` ...).
ALIASES: dict[type, tuple[str, ...]] = {
    Conv1D: ("Convolution1D",), Conv2D: ("Convolution2D",), Conv3D: ("Convolution3D",),
    Conv1DTranspose: ("Convolution1DTranspose",),
    Conv2DTranspose: ("Convolution2DTranspose",),
    Conv3DTranspose: ("Convolution3DTranspose",),
    SeparableConv1D: ("SeparableConvolution1D",),
    SeparableConv2D: ("SeparableConvolution2D",),
    MaxPooling1D: ("MaxPool1D",), MaxPooling2D: ("MaxPool2D",), MaxPooling3D: ("MaxPool3D",),
    AveragePooling1D: ("AvgPool1D",), AveragePooling2D: ("AvgPool2D",),
    AveragePooling3D: ("AvgPool3D",),
    GlobalMaxPooling1D: ("GlobalMaxPool1D",), GlobalMaxPooling2D: ("GlobalMaxPool2D",),
    GlobalMaxPooling3D: ("GlobalMaxPool3D",),
    GlobalAveragePooling1D: ("GlobalAvgPool1D",), GlobalAveragePooling2D: ("GlobalAvgPool2D",),
    GlobalAveragePooling3D: ("GlobalAvgPool3D",),
    GroupedQueryAttention: ("GroupQueryAttention",),
}

#: ``keras.layers.add([a, b])`` and friends: functions that build and call the layer.
FUNCTIONS = [merging.add, merging.subtract, merging.multiply, merging.average,
             merging.maximum, merging.minimum, merging.concatenate, merging.dot]


@hookimpl
def register_layers(register: Any) -> None:
    for cls in LAYERS:
        register(cls, aliases=ALIASES.get(cls, ()))
    for fn in FUNCTIONS:
        register(fn)
    register(Input, name="Input")
    from .audio import MelSpectrogram, STFTSpectrogram  # audio front ends

    register(STFTSpectrogram)
    register(MelSpectrogram)
    register(InputSpec, name="InputSpec")

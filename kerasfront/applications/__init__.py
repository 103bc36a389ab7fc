"""``keras.applications``: the architectures of tf.keras 2.x with the same constructors, layer names and weight
order, reading tf.keras's own pretrained weight files (``weights="imagenet"``: Keras's cache, or downloaded there).

One module per family (``resnet``, ``mobilenet_v2``, ...), each with its constructors, ``preprocess_input`` and
``decode_predictions``; the shared steps live in ``_blocks`` (inputs, heads) and ``_weights`` (weight files).

Example:
    >>> base = kerasfront.applications.MobileNetV2(include_top=False, weights="imagenet", input_shape=(96, 96, 3))
    >>> base.trainable = False
"""
from . import imagenet_utils  # noqa: F401
from . import (convnext, densenet, efficientnet, efficientnet_v2, inception_resnet_v2, inception_v3,  # noqa: F401
               mobilenet, mobilenet_v2, mobilenet_v3, nasnet, regnet, resnet, resnet50, resnet_rs, resnet_v2, vgg16,
               vgg19, xception)
from .convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge  # noqa: F401
from .densenet import DenseNet121, DenseNet169, DenseNet201  # noqa: F401
from .efficientnet import (EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3, EfficientNetB4,  # noqa: F401
                           EfficientNetB5, EfficientNetB6, EfficientNetB7)
from .efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3,  # noqa: F401
                              EfficientNetV2L, EfficientNetV2M, EfficientNetV2S)
from .inception_resnet_v2 import InceptionResNetV2  # noqa: F401
from .inception_v3 import InceptionV3  # noqa: F401
from .mobilenet import MobileNet  # noqa: F401
from .mobilenet_v2 import MobileNetV2  # noqa: F401
from .mobilenet_v3 import MobileNetV3Large, MobileNetV3Small  # noqa: F401
from .nasnet import NASNetLarge, NASNetMobile  # noqa: F401
from .regnet import (RegNetX002, RegNetX004, RegNetX006, RegNetX008, RegNetX016, RegNetX032, RegNetX040,  # noqa: F401
                     RegNetX064, RegNetX080, RegNetX120, RegNetX160, RegNetX320, RegNetY002, RegNetY004, RegNetY006,
                     RegNetY008, RegNetY016, RegNetY032, RegNetY040, RegNetY064, RegNetY080, RegNetY120, RegNetY160,
                     RegNetY320)
from .resnet import ResNet50, ResNet101, ResNet152  # noqa: F401
from .resnet_rs import (ResNetRS50, ResNetRS101, ResNetRS152, ResNetRS200, ResNetRS270, ResNetRS350,  # noqa: F401
                        ResNetRS420)
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2  # noqa: F401
from .vgg16 import VGG16  # noqa: F401
from .vgg19 import VGG19  # noqa: F401
from .xception import Xception  # noqa: F401

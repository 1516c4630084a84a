"""The models a bundle holds, one module each, loaded from their pretrained sources and checked.

    bundle_model      BundleModel (a Keras model + its manifest fields) and ModelError
    mtcnn_nets        PNet, RNet, ONet of the `mtcnn` package (its weights or a trained run's)
    scorer/           the beauty scorer, a package: architecture (backbones, ScorerArchitecture,
                      crop, graph), layers (mirror averaging), storage (weights.npz; each tensor's
                      dtype in a bundle), default (the embedded default), and in __init__ the
                      shape contract and load_scorer
    emotion           fer's FER2013 emotion net, or one trained by `python -m training emotion`
    faceapi_resnet29  face-api.js's face-recognition ResNet in Keras (a scorer backbone)
    human_faceres     Human's HSE FaceRes MobileNet in Keras (a scorer backbone)
    uint8_grid        TF.js's uint8 rule: weights stored as one byte each
    custom_layers     the registry of facepack's custom Keras layers, so their files can be read
    keras_files       reading a .keras / .h5 / SavedModel file (any model; custom layers from the registry)
"""

from facepack.models.bundle_model import BundleModel, ModelError
from facepack.models.emotion import load_emotion
from facepack.models.keras_files import read_keras_model
from facepack.models.mtcnn_nets import load_mtcnn_net
from facepack.models.scorer import (
    build_default_scorer,
    check_scorer_shapes,
    default_scorer_is_trained,
    load_scorer,
)

__all__ = ["BundleModel", "ModelError", "build_default_scorer", "check_scorer_shapes", "default_scorer_is_trained",
           "load_emotion", "load_mtcnn_net", "load_scorer", "read_keras_model"]

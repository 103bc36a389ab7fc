"""``kerasfront.onnx.export(model, path, opset=17)``: a model's inference pass as an ONNX file (needs the
optional ``onnx`` package: ``pip install "kerasfront[onnx]"``). Serve it with ONNX Runtime::

    import onnxruntime as ort
    session = ort.InferenceSession("model.onnx")
    probabilities = session.run(None, {"input_1": x})[0]

Example:
    >>> kerasfront.onnx.export(model, "model.onnx", opset=17)
"""
from .export.onnx import DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, ExportError, export_onnx

__all__ = ["export", "ExportError", "DEFAULT_OPSET", "MIN_OPSET", "MAX_OPSET"]


def export(model, filepath, opset=DEFAULT_OPSET, input_signature=None, verbose=False):
    """Write ``model``'s inference pass (``training=False``) to ``filepath`` in ONNX, opset ``opset`` (17 to 21),
    with a dynamic batch axis and the model's input and output names; returns the ``onnx.ModelProto``.

    Example:
        >>> proto = kerasfront.onnx.export(model, "model.onnx")
        >>> [i.name for i in proto.graph.input]
        ['input_1']
    """
    return export_onnx(model, filepath, opset=opset, input_signature=input_signature, verbose=verbose)

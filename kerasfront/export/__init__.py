"""Exporting models to other runtimes: ONNX (``onnx``), from the traced inference graph.

Example:
    >>> from kerasfront.export import export_onnx
    >>> export_onnx(model, "model.onnx")
"""
from .onnx import DEFAULT_OPSET, ExportError, export_onnx

__all__ = ["export_onnx", "ExportError", "DEFAULT_OPSET"]

"""Exceptions raised by idaes_ml; each names the problem it reports."""

from __future__ import annotations


class IdaesMLError(Exception):
    """Base class of every idaes_ml error."""


class DataError(IdaesMLError, ValueError):
    """Training or query data that cannot be used: NaN/inf, constant columns, bad shapes."""


class MetadataError(IdaesMLError, ValueError):
    """A surrogate's ``<name>_idaes_info.json`` is missing, corrupt or inconsistent."""


class UnsupportedOnnxOpError(IdaesMLError, ValueError):
    """An ONNX graph uses an operator that the OMLT embedding cannot represent."""


class OutOfDomainError(IdaesMLError, ValueError):
    """A query lies outside the domain a model was trained on or declared for."""


class SolverNotFoundError(IdaesMLError, RuntimeError):
    """No usable executable or library was found for a requested solver."""


class SolveFailedError(IdaesMLError, RuntimeError):
    """A solve ended without an optimal/feasible result; carries the solver status."""

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.status = status

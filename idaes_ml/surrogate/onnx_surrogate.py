"""An IDAES surrogate backed by an ONNX network and embedded through OMLT.

    >>> from pyomo.environ import ConcreteModel, Var
    >>> from idaes.core.surrogate.surrogate_block import SurrogateBlock
    >>> from idaes_ml.surrogate import OnnxSurrogate
    >>> surrogate = OnnxSurrogate.load("models", "flash", formulation="reduced_space")  # doctest: +SKIP
    >>> m = ConcreteModel(); m.x = Var(surrogate.input_labels()); m.y = Var(surrogate.output_labels())
    >>> m.s = SurrogateBlock()  # doctest: +SKIP
    >>> m.s.build_model(surrogate, input_vars=[m.x], output_vars=[m.y])  # doctest: +SKIP

Compared with IDAES's ``ONNXSurrogate`` it validates the graph up front
(:mod:`idaes_ml.surrogate.onnx_checks`), accepts PyTorch exports with a static
batch dimension, the dynamo Softplus guard or weights as external data (read from
beside the ``.onnx`` file), offers all five OMLT formulations
(:mod:`idaes_ml.surrogate.formulations`) and evaluates with onnxruntime.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np
import pandas as pd
from omlt import OffsetScaling, OmltBlock
from omlt.io import load_onnx_neural_network
from pyomo.environ import Constraint
from pyomo.environ import units as pyunits
from idaes.core.surrogate.base.surrogate_base import SurrogateBase

from idaes_ml.errors import DataError, MetadataError, OutOfDomainError
from idaes_ml.io import atomic_write, write_json
from idaes_ml.nn import NetworkMetadata, OnnxNetwork, info_path, load_network, onnx_from_bytes, onnx_path
from idaes_ml.sampling import outside_bounds
from idaes_ml.surrogate.formulations import (
    check_formulation,
    default_formulation,
    initialize_formulation,
    make_formulation,
)
from idaes_ml.surrogate.onnx_checks import check_onnx, io_sizes, normalize_onnx

if TYPE_CHECKING:
    from idaes.core.surrogate.surrogate_block import SurrogateBlockData

    from idaes_ml.balances import BalanceHead
    from omlt.neuralnet import NetworkDefinition
    from pyomo.core.expr.relational_expr import EqualityExpression

_FORMAT = "idaes_ml.OnnxSurrogate"


class OnnxSurrogate(SurrogateBase):
    """ONNX network + IDAES metadata usable with ``SurrogateBlock.build_model``.

    Args:
        network: an :class:`idaes_ml.nn.OnnxNetwork` (model + labels, scalers, bounds).
        formulation: default OMLT formulation, one of
            :data:`idaes_ml.surrogate.formulations.FORMULATIONS`; None picks the first that
            fits the network's activations (``full_space`` if smooth, ``relu_bigm`` if ReLU).
        enforce_bounds: if True the embedded network's own input variables (OMLT's, not
            the model variables tied to them) are bounded by the training bounds, and
            :meth:`evaluate_surrogate` and :meth:`initialize_block` raise OutOfDomainError
            outside them (ReLU formulations always bound the inputs: big-M needs it).
    """

    def __init__(self, network: OnnxNetwork, formulation: str | None = None,
                 enforce_bounds: bool = False) -> None:
        model = normalize_onnx(network.model)
        self.activations = check_onnx(model)
        n_in, n_out = io_sizes(model)
        meta = network.metadata
        if (n_in, n_out) != (len(meta.input_labels), len(meta.output_labels)):
            raise MetadataError(
                f"{network.name}: ONNX graph maps {n_in} inputs to {n_out} outputs but the metadata "
                f"labels {meta.input_labels} -> {meta.output_labels}"
            )
        missing = [k for k in meta.input_labels if k not in meta.input_bounds]
        if missing:
            raise MetadataError(f"{network.name}: metadata gives no input_bounds for {missing}")
        formulation = formulation or default_formulation(self.activations)
        check_formulation(formulation, self.activations)
        super().__init__(meta.input_labels, meta.output_labels, meta.input_bounds)
        self.network = OnnxNetwork(model, meta, name=network.name, source=network.source)
        self.formulation = formulation
        self.enforce_bounds = enforce_bounds

    @classmethod
    def from_network(cls, network: OnnxNetwork, formulation: str | None = None,
                     enforce_bounds: bool = False) -> "OnnxSurrogate":
        """Wrap a loaded :class:`~idaes_ml.nn.OnnxNetwork`."""
        return cls(network, formulation=formulation, enforce_bounds=enforce_bounds)

    @property
    def balance(self) -> BalanceHead | None:
        """The balance head recorded in the metadata (None: a free-form network)."""
        return self.network.metadata.balance

    # -- OMLT embedding ----------------------------------------------------------
    def omlt_scaling(self) -> OffsetScaling:
        """The OMLT scaling object (IDAES OffsetScaler convention: scaled = (x - offset)/factor)."""
        m = self.network.metadata
        return OffsetScaling(offset_inputs=m.input_offset, factor_inputs=m.input_factor,
                             offset_outputs=m.output_offset, factor_outputs=m.output_factor)

    def scaled_input_bounds(self) -> dict[int, tuple[float, float]]:
        """Input bounds in scaled units keyed by input position, as OMLT wants them."""
        m = self.network.metadata
        return {i: tuple(float((b - m.input_offset[i]) / m.input_factor[i])
                         for b in m.input_bounds[k]) for i, k in enumerate(m.input_labels)}

    def network_definition(self, bounded: bool) -> NetworkDefinition:
        """A fresh OMLT NetworkDefinition of the normalised graph (scaled bounds if ``bounded``)."""
        return load_onnx_neural_network(self.network.model, scaling_object=self.omlt_scaling(),
                                        input_bounds=self.scaled_input_bounds() if bounded else None)

    def populate_block(self, block: SurrogateBlockData, additional_options: dict | None = None) -> None:
        """Build the OMLT formulation on ``block.nn`` and tie it to the SurrogateBlock variables.

        ``additional_options`` (from ``build_model`` keyword arguments) may hold
        ``formulation``, ``enforce_bounds`` and ``partition_splits`` (relu_partition);
        used keys are popped, as IDAES requires.
        """
        options = additional_options if additional_options is not None else {}
        name = options.pop("formulation", self.formulation)
        enforce = options.pop("enforce_bounds", self.enforce_bounds)
        check_formulation(name, self.activations)
        net = self.network_definition(bounded=enforce or name.startswith("relu"))
        block.nn = OmltBlock()
        block.nn.build_formulation(make_formulation(name, net, options.pop("partition_splits", 2)))
        block._idaes_ml_net = net  # the layer objects whose id() index block.nn.layer
        block._idaes_ml_enforce = enforce
        inputs, outputs = block.input_vars_as_dict(), block.output_vars_as_dict()
        in_pos = {k: i for i, k in enumerate(self.input_labels())}
        out_pos = {k: i for i, k in enumerate(self.output_labels())}
        block.input_surrogate_ties = _ties(self.input_labels(), inputs, block.nn.inputs, in_pos)
        block.output_surrogate_ties = _ties(self.output_labels(), outputs, block.nn.outputs, out_pos)

    def initialize_block(self, block: SurrogateBlockData, inputs: dict[str, float] | None = None) -> pd.Series:
        """Set the block's network variables (all layers) consistently from input values.

        ``inputs`` defaults to the current values of the block's input variables;
        output variables are set as well. Returns the predicted outputs. If the block was
        built with ``enforce_bounds``, fixed inputs outside the bounds raise OutOfDomainError
        naming the block and the inputs (the solve would be infeasible).
        """
        in_vars = block.input_vars_as_dict()
        row = {k: float(in_vars[k].value if inputs is None else inputs[k]) for k in self.input_labels()}
        if block._idaes_ml_enforce:
            _check_fixed_inputs(block, in_vars, row, self.input_bounds())
        m = self.network.metadata
        x_scaled = (np.array([row[k] for k in m.input_labels]) - m.input_offset) / m.input_factor
        initialize_formulation(block.nn, block._idaes_ml_net, x_scaled, self.omlt_scaling())
        y = self.evaluate_surrogate(pd.DataFrame([row]), check_bounds=False).iloc[0]
        for label, var in block.output_vars_as_dict().items():
            if not var.fixed:
                var.set_value(float(y[label]), skip_validation=True)
        for label, var in in_vars.items():
            if not var.fixed:
                var.set_value(row[label], skip_validation=True)
        return y

    # -- evaluation ----------------------------------------------------------------
    def evaluate_surrogate(self, inputs: pd.DataFrame, check_bounds: bool | None = None) -> pd.DataFrame:
        """Outputs at the rows of ``inputs`` (unscaled, onnxruntime); index preserved.

        Raises OutOfDomainError for rows outside the bounds when ``check_bounds``
        (default: ``enforce_bounds``) is true, DataError for missing columns or NaN.
        """
        check = self.enforce_bounds if check_bounds is None else check_bounds
        return self.network.predict(inputs, check_domain=check)

    def domain_violations(self, row: dict[str, float]) -> dict[str, tuple[float, float, float]]:
        """``{label: (value, low, high)}`` for the inputs of ``row`` outside the bounds."""
        bounds = self.input_bounds()
        missing = set(bounds) - set(row)
        if missing:
            raise DataError(f"row lacks network inputs {sorted(missing)}")
        return outside_bounds(row, bounds)

    # -- persistence ---------------------------------------------------------------
    def save_to_folder(self, directory: str | Path, name: str) -> tuple[Path, Path]:
        """Write ``<name>.onnx`` and ``<name>_idaes_info.json`` (IDAES layout) atomically.

        The ``.onnx`` file holds every weight, also for a network loaded from a file with
        external data (e.g. torch's ``<name>.onnx.data``).
        """
        with atomic_write(onnx_path(directory, name), "wb") as fh:
            fh.write(self.network.model.SerializeToString())
        write_json(self.network.metadata.to_dict(), info_path(directory, name))
        return onnx_path(directory, name), info_path(directory, name)

    def save(self, strm: IO[str]) -> None:
        """Serialize to a text stream: JSON with the ONNX bytes base64-encoded."""
        json.dump({
            "format": _FORMAT,
            "onnx_base64": base64.b64encode(self.network.model.SerializeToString()).decode("ascii"),
            "idaes_info": self.network.metadata.to_dict(),
            "name": self.network.name,
            "formulation": self.formulation,
            "enforce_bounds": self.enforce_bounds,
        }, strm)

    @classmethod
    def load(cls, strm_or_directory: IO[str] | str | Path, name: str | None = None, formulation: str | None = None,
             enforce_bounds: bool | None = None) -> "OnnxSurrogate":
        """Load from a stream written by :meth:`save`, or from ``(directory, name)`` files."""
        if name is not None:
            return cls(load_network(strm_or_directory, name), formulation=formulation,
                       enforce_bounds=bool(enforce_bounds))
        try:
            doc = json.load(strm_or_directory)
            onnx_bytes = base64.b64decode(doc["onnx_base64"], validate=True)
            info, net_name = doc["idaes_info"], str(doc.get("name", "network"))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise MetadataError(f"stream does not hold a saved {_FORMAT}: {type(exc).__name__}: {exc}") from exc
        if doc.get("format") != _FORMAT:
            raise MetadataError(f"stream holds format {doc.get('format')!r}, expected {_FORMAT!r}")
        network = OnnxNetwork(onnx_from_bytes(onnx_bytes, f"stream network {net_name!r}"),
                              NetworkMetadata.from_dict(info, f"stream network {net_name!r}"), name=net_name)
        return cls(network, formulation=formulation or doc.get("formulation"),
                   enforce_bounds=doc.get("enforce_bounds", False) if enforce_bounds is None else enforce_bounds)


def _check_fixed_inputs(block: SurrogateBlockData, in_vars: dict, row: dict[str, float],
                        bounds: dict[str, tuple[float, float]]) -> None:
    """Raise OutOfDomainError naming ``block`` and its fixed inputs outside ``bounds``."""
    outside = outside_bounds({k: v for k, v in row.items() if in_vars[k].fixed}, bounds)
    if outside:
        described = "; ".join(f"{k} = {v:.6g} ({in_vars[k].name}) outside [{lo:.6g}, {hi:.6g}]"
                              for k, (v, lo, hi) in outside.items())
        raise OutOfDomainError(f"{block.name}: fixed network inputs outside the training bounds "
                               f"(enforce_bounds=True, so no solution exists): {described}")


def _ties(labels: list[str], outer: dict, nn_vars, position: dict[str, int]) -> Constraint:
    """Constraint ``outer[label] == nn_vars[position[label]]`` for every label, in ``outer``'s units.

    The network's variables are dimensionless numbers in the units of the variables they
    were trained on, so each tie carries those units (unit-consistency checks pass).
    """
    def rule(b: SurrogateBlockData, k: str) -> EqualityExpression:
        units = pyunits.get_units(outer[k])
        inner = nn_vars[position[k]]
        return outer[k] == (inner if units is None else inner * units)

    return Constraint(labels, rule=rule)

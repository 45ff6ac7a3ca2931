"""Check and normalise ONNX graphs of feed-forward networks before OMLT parses them.

OMLT's ONNX parser embeds dense layers (``Gemm``, or ``MatMul`` + ``Add``) each
followed by at most one activation (``Relu``, ``Sigmoid``, ``Tanh``,
``Softplus``).  PyTorch exports often deviate from that in ways that break
IDAES's ``ONNXSurrogate`` with obscure errors:

* a static batch dimension (input shape ``[1, n]``, or ``[1, 1, n]`` giving
  ``MatMul`` + ``Add`` nodes) makes OMLT index the inputs by ``(0, i)`` tuples
  -> ``KeyError: (0, 0)`` in ``populate_block``; a 1-D input ``[n]`` cannot be
  evaluated in batches;
* the dynamo exporter writes ``Softplus`` as
  ``Where(Greater(z, threshold), z, Softplus(z))`` (PyTorch's overflow guard);
* ``Identity`` nodes and initializers listed as graph inputs.

:func:`normalize_onnx` rewrites those into the plain form (the Softplus guard
changes the result by less than ``log1p(exp(-threshold))``, 2e-9 for the
default threshold 20) and :func:`check_onnx` rejects anything else with an
:class:`~idaes_ml.errors.UnsupportedOnnxOpError` naming the operators::

    model = normalize_onnx(onnx.load("net.onnx"))
    activations = check_onnx(model)     # e.g. ["tanh", "tanh", "linear"]
"""

from __future__ import annotations

import onnx

from idaes_ml.errors import UnsupportedOnnxOpError

ACTIVATION_OPS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus"}
DENSE_OPS = ("Gemm", "MatMul")


def list_ops(model: onnx.ModelProto) -> list[str]:
    """Operator types of the graph's nodes, in graph order."""
    return [node.op_type for node in model.graph.node]


def _consumers(graph: onnx.GraphProto) -> dict[str, list[onnx.NodeProto]]:
    users: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    return users


def _rename_input(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
    for out in graph.output:
        if out.name == old:
            out.name = new


def _drop_identities(graph: onnx.GraphProto) -> None:
    for node in [n for n in graph.node if n.op_type == "Identity"]:
        src, dst = node.input[0], node.output[0]
        graph.node.remove(node)
        if any(o.name == dst for o in graph.output):
            _rename_node_output(graph, src, dst)
        else:
            _rename_input(graph, dst, src)


def _rename_node_output(graph: onnx.GraphProto, old: str, new: str) -> None:
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
    _rename_input(graph, old, new)


def _fuse_softplus_guard(graph: onnx.GraphProto) -> None:
    """``Where(Greater(z, t), z, Softplus(z))`` -> ``Softplus(z)``."""
    producers = {out: node for node in graph.node for out in node.output}
    for where in [n for n in graph.node if n.op_type == "Where"]:
        cond, _, b = (producers.get(name) for name in where.input)
        if not (cond is not None and cond.op_type == "Greater" and b is not None
                and b.op_type == "Softplus" and cond.input[0] == where.input[1] == b.input[0]):
            continue
        users = _consumers(graph)
        if len(users.get(cond.output[0], [])) != 1 or len(users.get(b.output[0], [])) != 1:
            continue
        b.output[0] = where.output[0]
        graph.node.remove(where)
        graph.node.remove(cond)
    _drop_unused_constants(graph)


def _drop_unused_constants(graph: onnx.GraphProto) -> None:
    users = _consumers(graph)
    for node in [n for n in graph.node if n.op_type == "Constant"]:
        if not users.get(node.output[0]):
            graph.node.remove(node)
    for init in list(graph.initializer):
        if not users.get(init.name):
            graph.initializer.remove(init)


def _free_batch_dim(value: onnx.ValueInfoProto) -> None:
    """Shape ``[n]``, ``[1, n]``, ``[1, 1, n]``... -> ``[batch, n]`` (dense ops broadcast over rows)."""
    shape = value.type.tensor_type.shape
    sizes = [d.dim_value for d in shape.dim]
    if not sizes or sizes[-1] <= 0 or any(s not in (0, 1) for s in sizes[:-1]):
        return
    shape.ClearField("dim")
    shape.dim.add().dim_param = "batch"
    shape.dim.add().dim_value = sizes[-1]


def normalize_onnx(model: onnx.ModelProto) -> onnx.ModelProto:
    """Copy of ``model`` rewritten into the plain dense form OMLT parses (see module doc)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    init_names = {init.name for init in graph.initializer}
    for value in [v for v in graph.input if v.name in init_names]:
        graph.input.remove(value)
    _drop_identities(graph)
    _fuse_softplus_guard(graph)
    for value in list(graph.input) + list(graph.output):
        _free_batch_dim(value)
    del graph.value_info[:]
    return out


def _features(value: onnx.ValueInfoProto, what: str) -> int:
    dims = [d.dim_value for d in value.type.tensor_type.shape.dim]
    sizes = dims[1:] if len(dims) == 2 else dims
    if len(sizes) != 1 or sizes[0] <= 0:
        raise UnsupportedOnnxOpError(
            f"ONNX {what} '{value.name}' has shape {dims}; a feed-forward surrogate needs "
            "shape [batch, n] with a fixed feature count n"
        )
    return sizes[0]


def io_sizes(model: onnx.ModelProto) -> tuple[int, int]:
    """Number of input and output features of a (normalised) single-input, single-output graph."""
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise UnsupportedOnnxOpError(
            f"ONNX graph has {len(graph.input)} inputs and {len(graph.output)} outputs; "
            "OMLT embeds exactly one input tensor and one output tensor"
        )
    return _features(graph.input[0], "input"), _features(graph.output[0], "output")


def check_onnx(model: onnx.ModelProto) -> list[str]:
    """Validate a normalised graph; return the activation of each dense layer in order.

    Raises UnsupportedOnnxOpError naming every operator OMLT cannot embed, every
    activation that does not directly follow a dense node, and branching graphs.
    """
    graph = model.graph
    io_sizes(model)
    producers = {out: node for node in graph.node for out in node.output}
    users = _consumers(graph)
    init_names = {init.name for init in graph.initializer}
    problems: list[str] = []
    activations: list[str] = []
    for node in graph.node:
        label = f"{node.op_type} (node '{node.name}')"
        data_inputs = [n for n in node.input if n and n not in init_names]
        prev = producers.get(data_inputs[0]) if data_inputs else None
        if node.op_type == "Gemm":
            attrs = {a.name: a for a in node.attribute}
            if "transA" in attrs and attrs["transA"].i != 0:
                problems.append(f"{label} with transA=1")
            elif len(node.input) != 3 or len(data_inputs) != 1:
                problems.append(f"{label} without constant weights and bias")
            activations.append("linear")
        elif node.op_type == "MatMul":
            nxt = users.get(node.output[0], [])
            if len(data_inputs) != 1 or node.input[1] not in init_names or len(nxt) != 1 or nxt[0].op_type != "Add":
                problems.append(f"{label} not of the form Add(MatMul(x, constant weights), constant bias)")
            activations.append("linear")
        elif node.op_type == "Add":
            if prev is None or prev.op_type != "MatMul" or len(data_inputs) != 1:
                problems.append(f"{label} that is not the bias of a MatMul")
        elif node.op_type in ACTIVATION_OPS:
            bias_of = [producers.get(n) for n in prev.input if n not in init_names] if prev is not None else []
            dense = prev is not None and (prev.op_type == "Gemm" or (
                prev.op_type == "Add" and len(bias_of) == 1 and bias_of[0] is not None
                and bias_of[0].op_type == "MatMul"))
            if not dense or not activations or activations[-1] != "linear":
                where = f"'{prev.name}' (op {prev.op_type})" if prev is not None else "the graph input"
                problems.append(f"{node.op_type} after a non-dense node {where}")
            else:
                activations[-1] = ACTIVATION_OPS[node.op_type]
        else:
            problems.append(label)
        if any(len(users.get(out, [])) > 1 for out in node.output):
            problems.append(f"{label} whose output feeds several nodes (branching graph)")
    if problems:
        raise UnsupportedOnnxOpError(
            "ONNX graph cannot be embedded by OMLT as a dense network; unsupported: "
            + "; ".join(problems)
        )
    if not activations:
        raise UnsupportedOnnxOpError("ONNX graph has no dense (Gemm/MatMul) layer")
    return activations

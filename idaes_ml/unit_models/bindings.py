"""Resolve the strings that bind network labels to a SurrogateUnit's variables.

A binding names one variable at one time point:

* ``"temperature"``, ``"mole_frac_comp[benzene]"`` or ``"inlet.flow_mol"`` -- a
  state variable of the inlet state block;
* ``"vap_outlet.temperature"`` -- a state variable of outlet ``vap_outlet``
  (for outputs the outlet may be omitted when the unit has a single outlet);
* ``"heat_duty"``, ``"deltaP"``, ``"split_fraction"`` or a name declared in the
  ``unit_variables`` option -- a unit-level variable indexed by time.

    >>> parse_binding("vap_outlet.mole_frac_comp[benzene]", ["vap_outlet"])
    ('vap_outlet', 'mole_frac_comp', ('benzene',))
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING

from idaes.core.util.exceptions import ConfigurationError

if TYPE_CHECKING:
    from idaes.core.base.property_base import StateBlockData
    from pyomo.core.base.var import Var, VarData

_PATTERN = re.compile(r"^\s*(?:(?P<owner>\w+)\.)?(?P<var>\w+)\s*(?:\[(?P<index>[^\]]*)\])?\s*$")


def parse_binding(text: str, outlets: list[str]) -> tuple[str | None, str, tuple[str, ...]]:
    """Split a binding into ``(owner, variable name, index strings)``.

    ``owner`` is ``"inlet"``, an outlet name, or None when no prefix is given.
    """
    match = _PATTERN.match(str(text))
    if match is None:
        raise ConfigurationError(f"cannot parse binding {text!r}; use 'var', 'var[i, j]' or 'port.var[i]'")
    owner = match["owner"]
    if owner is not None and owner != "inlet" and owner not in outlets:
        raise ConfigurationError(f"binding {text!r} names {owner!r}, which is neither 'inlet' nor an outlet {outlets}")
    index = tuple(s.strip() for s in match["index"].split(",")) if match["index"] else ()
    return owner, match["var"], index


def index_key(index: str | int | float | tuple | None) -> tuple[str, ...]:
    """Index of a component as a tuple of strings (``None`` -> ``()``), as bindings spell it."""
    if index is None:
        return ()
    return tuple(str(i) for i in (index if isinstance(index, tuple) else (index,)))


def select(var: Var, index: tuple[str, ...], text: str) -> VarData:
    """The VarData of (time-sliced) ``var`` whose index prints as ``index``."""
    if not var.is_indexed():
        if index:
            raise ConfigurationError(f"binding {text!r} indexes {var.local_name}, which is not indexed")
        return var
    for idx in var.index_set():
        if index_key(idx) == index:
            return var[idx]
    choices = [", ".join(index_key(i)) for i in var.index_set()]
    raise ConfigurationError(f"binding {text!r}: {var.local_name} has no index [{', '.join(index)}]; "
                             f"valid indices: {choices}")


def state_var(state_block: StateBlockData, name: str, index: tuple[str, ...], text: str) -> VarData:
    """State variable ``name[index]`` of one state block (StateBlockData)."""
    state_vars = state_block.define_state_vars()
    if name not in state_vars:
        raise ConfigurationError(f"binding {text!r}: {name!r} is not a state variable of {state_block.name}; "
                                 f"state variables are {sorted(state_vars)}")
    return select(state_vars[name], index, text)


def check_labels(kind: str, configured: Collection[str], expected: list[str]) -> None:
    """Raise ConfigurationError naming network labels missing from / unknown to the unit config."""
    missing = [k for k in expected if k not in configured]
    extra = [k for k in configured if k not in expected]
    if missing or extra:
        raise ConfigurationError(
            f"SurrogateUnit {kind} do not match the network's {kind[:-1]} labels: "
            f"labels without a binding {missing}, bindings for unknown labels {extra}; "
            f"the network's labels are {expected}"
        )

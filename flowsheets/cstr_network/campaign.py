"""Closed-loop campaigns: one picklable job per (network size, scenario, policy, plant backend).

:func:`closed_loop_job` builds the network, the policy (``"pi"``, ``"rto_pi"``,
``"mpc_hard"``, ``"mpc_barrier"``) and the plant (``"scipy"`` = :class:`.plant.CSTRNetwork`,
``"dae"`` = :class:`.dae.DaePlant`, ``"idaes"`` = :class:`.idaes_plant.IdaesPlant`), runs :func:`.scenarios.run_closed_loop` and returns the
summary, the per-step records, the size of the policy's optimization model and the peak RSS of
the process (over the *process lifetime*: run one job per fresh worker to attribute it to that
job; the Ipopt subprocess is not included), so that independent runs can go through
:func:`idaes_ml.parallel.map` (serially or on Dask workers)::

    >>> job = CampaignJob(n_reactors=2, scenario="nominal", policy="pi", n_steps=2)
    >>> closed_loop_job(job)["summary"]["n_steps"]
    2
"""

from __future__ import annotations

import resource
from dataclasses import asdict, dataclass

from idaes_ml.errors import DataError

from .learned import DT
from .plant import CSTRNetwork
from .scenarios import SCENARIOS, run_closed_loop

__all__ = ["CampaignJob", "closed_loop_job", "POLICIES"]

POLICIES = ("pi", "rto_pi", "mpc_hard", "mpc_barrier")


@dataclass(frozen=True)
class CampaignJob:
    """One closed-loop run; ``model_dir``/``kind`` locate the learned reactor model (MPC, RTO)."""

    n_reactors: int
    scenario: str
    policy: str
    n_steps: int = 60
    horizon: int = 3
    plant: str = "scipy"
    model_dir: str | None = None
    kind: str = "structured"


def _policy(job: CampaignJob, net: CSTRNetwork):
    from .control import PIBaseline

    if job.policy == "pi":
        return PIBaseline(net, DT)
    if job.policy not in POLICIES:
        raise DataError(f"policy must be one of {POLICIES}, got {job.policy!r}")
    if job.model_dir is None:
        raise DataError(f"policy {job.policy!r} needs model_dir (trained reactor model)")
    from .learned import load_reactor_model
    from .optimize import MPCPolicy, RTOPolicy

    model = load_reactor_model(job.model_dir, job.kind)
    if job.policy == "rto_pi":
        return RTOPolicy(net, model)
    return MPCPolicy(net, model, horizon=job.horizon, constraints=job.policy.split("_")[1])


def closed_loop_job(job: CampaignJob) -> dict:
    """Run ``job``; returns ``job`` (dict), ``summary``, ``records`` (column -> list), ``states``,
    ``model_size`` (variables/constraints of the MPC model, else None) and ``peak_rss_mb``."""
    import torch

    torch.set_num_threads(1)
    net = CSTRNetwork.of_size(job.n_reactors)
    if job.scenario not in SCENARIOS:
        raise DataError(f"unknown scenario {job.scenario!r}; known: {sorted(SCENARIOS)}")
    if job.plant == "dae":
        from .dae import DaePlant

        plant = DaePlant(net)
    elif job.plant == "idaes":
        from .idaes_plant import IdaesPlant

        plant = IdaesPlant(net)
    elif job.plant == "scipy":
        plant = net
    else:
        raise DataError(f"plant must be 'scipy', 'dae' or 'idaes', got {job.plant!r}")
    policy = _policy(job, net)
    res = run_closed_loop(net, policy, SCENARIOS[job.scenario], job.n_steps, DT, plant=plant)
    ctrl = getattr(policy, "ctrl", None)
    size = None if ctrl is None else {"n_variables": ctrl.model.nvariables(), "n_constraints": ctrl.model.nconstraints()}
    return {"job": asdict(job), "summary": res.summary, "records": res.records.to_dict(orient="list"),
            "states": res.states.tolist(), "model_size": size,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

"""Benzene-toluene Mixer -> Heater -> Flash: the end-to-end demo of ``make demo``.

:mod:`.ground_truth` builds and samples the first-principles IDAES flowsheet,
:mod:`.hybrid` swaps the Flash for a :class:`~idaes_ml.unit_models.SurrogateUnit`,
:mod:`.demo` runs the whole job.
"""

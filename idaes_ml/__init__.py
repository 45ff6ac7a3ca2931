"""idaes_ml: equation-oriented machine learning for IDAES.

Networks trained in PyTorch (:mod:`idaes_ml.nn`) are exported to ONNX, embedded
in Pyomo/IDAES models through OMLT (:mod:`idaes_ml.surrogate`,
:mod:`idaes_ml.unit_models`) and solved equation-oriented with Ipopt or HiGHS.
Importing this package is cheap: subpackages load their heavy dependencies lazily.
"""

__version__ = "0.1.0"

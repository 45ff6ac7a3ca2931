"""Case-study models: first-principles ground truth and their ML versions.

Each subpackage is one case study and uses :mod:`idaes_ml`; the library never
imports a case study.
"""

from __future__ import annotations

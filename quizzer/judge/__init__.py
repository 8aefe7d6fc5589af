"""The judge: task specs -> checks run on untrusted submissions behind a sandbox ->
verdicts computed on the trusted side -> reports.

Torch-free modules (`result`, `wire`, `explain`, `static`, `report`, `files`) may be imported
anywhere; the rest import torch and belong to the judge's own process or its worker.
"""

import warnings

# torch warns at import when NumPy is absent; the judge never needs NumPy.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

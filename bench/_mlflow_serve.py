"""MLflow's side of bench/serve_bench.py; runs in bench/.venv-mlflow (see requirements-mlflow.txt).

``python _mlflow_serve.py PIPELINE.pkl EXAMPLE.json MODEL_DIR`` saves the fitted pipeline the
bench handed over as an MLflow model (``mlflow.sklearn.save_model`` with a signature inferred from
the example rows, as a user logging the model would), then prints MLflow's version. The bench
then starts ``mlflow models serve -m MODEL_DIR --env-manager local`` on it. The pipeline holds
Lifecycle's recipe transformers, so the repository root must be on PYTHONPATH (for saving and
for serving).
"""
from __future__ import annotations

import json
import logging
import pickle
import sys
import warnings

warnings.filterwarnings("ignore")
logging.getLogger("mlflow").setLevel(logging.ERROR)

import mlflow  # noqa: E402
import pandas as pd  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402


def main() -> None:
    pipeline_file, example_file, model_dir = sys.argv[1:4]
    with open(pipeline_file, "rb") as handle:
        pipeline = pickle.load(handle)  # noqa: S301 - the bench's own object, handed over in a temporary folder
    example = pd.DataFrame(json.loads(open(example_file).read()))
    signature = infer_signature(example, pipeline.predict(example))
    mlflow.sklearn.save_model(pipeline, model_dir, signature=signature, serialization_format="cloudpickle")
    print(json.dumps({"mlflow": mlflow.__version__}))


if __name__ == "__main__":
    main()

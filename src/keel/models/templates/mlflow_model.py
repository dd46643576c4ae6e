"""MLflow's entry point into an exported keel model ("models from code").

MLflow copies this file into the model directory and runs it when the model is loaded;
the model it sets reads the keel package from the directory's artifacts.
"""

import mlflow

from keel.models._mlflow_pyfunc import KeelPythonModel

mlflow.models.set_model(KeelPythonModel())

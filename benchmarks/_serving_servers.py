"""The servers ``bench_serving.py`` measures: how to start each one and what one request is.

Every server answers for the same model (LightGBM, 100 trees, 31 leaves, breast_cancer's 30
features, saved as LightGBM text) with a single-record JSON POST. Peers run in their own
virtualenvs (``benchmarks/.venv-<name>``, see ``_harness.competitor_python``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The bare floor: Starlette + uvicorn, parse JSON, booster.predict. argv: model, names, port,
#: threads (0: LightGBM's default, which is every core).
FLOOR_APP = """
import json, sys
import lightgbm, numpy as np, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

booster = lightgbm.Booster(model_file=sys.argv[1])
names = json.load(open(sys.argv[2]))
threads = int(sys.argv[4])
options = {"num_threads": threads} if threads else {}

async def predict(request):
    record = await request.json()
    row = np.array([[record[name] for name in names]], dtype=np.float64)
    return JSONResponse({"probability": float(booster.predict(row, **options)[0])})

app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning",
            access_log=False, loop="uvloop", http="httptools")
"""

LITSERVE_APP = """
import json, sys
import lightgbm, numpy as np, litserve as ls

MODEL, NAMES, PORT = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])

class Cancer(ls.LitAPI):
    def setup(self, device):
        self.booster = lightgbm.Booster(model_file=MODEL)
    def decode_request(self, request):
        return np.array([[request[name] for name in NAMES]], dtype=np.float64)
    def predict(self, x):
        return self.booster.predict(x)
    def encode_response(self, output):
        return {"probability": float(output[0])}

if __name__ == "__main__":
    ls.LitServer(Cancer(), accelerator="cpu").run(port=PORT, generate_client_file=False)
"""

BENTOML_APP = """
import json, os
import bentoml, lightgbm, numpy as np

MODEL, NAMES = os.environ["BENCH_MODEL"], json.load(open(os.environ["BENCH_NAMES"]))

@bentoml.service
class Cancer:
    def __init__(self):
        self.booster = lightgbm.Booster(model_file=MODEL)

    @bentoml.api
    def predict(self, record: dict) -> dict:
        row = np.array([[record[name] for name in NAMES]], dtype=np.float64)
        return {"probability": float(self.booster.predict(row)[0])}
"""

MLFLOW_SAVE = """
import sys, lightgbm, mlflow.lightgbm
mlflow.lightgbm.save_model(lightgbm.Booster(model_file=sys.argv[1]), sys.argv[2])
"""

#: Each peer's virtualenv packages.
PEER_PACKAGES = {
    "litserve": ["litserve", "lightgbm", "numpy"],
    "mlserver": ["mlserver", "mlserver-lightgbm"],
    "bentoml": ["bentoml", "lightgbm", "numpy"],
    "mlflow": ["mlflow", "lightgbm"],
}


@dataclass
class Server:
    """How to start one server and what its single-record request is."""

    name: str
    cmd: list[str]
    path: str
    body: dict
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    unset: tuple[str, ...] = ()
    port: int = 0


def floor(folder: Path, model: Path, names: Path, record: dict, port: int, threads: int) -> Server:
    app = folder / "floor_app.py"
    app.write_text(FLOOR_APP)
    label = "floor (LightGBM default threads)" if threads == 0 else "floor (num_threads=1)"
    cmd = [sys.executable, str(app), str(model), str(names), str(port), str(threads)]
    # The default-threads floor keeps libgomp's default wait policy: that is the point.
    return Server(label, cmd, "/predict", record, unset=("OMP_WAIT_POLICY",), port=port)


def keel(workspace: Path, record: dict, port: int, access_log: bool) -> Server:
    keel_bin = str(Path(sys.executable).parent / "keel")
    cmd = [keel_bin, "-w", str(workspace), "serve", "cancer@champion", "--port", str(port),
           "--poll", "0", "--log-level", "warning"]  # fmt: skip
    cmd.append("--access-log" if access_log else "--no-access-log")
    label = "keel serve (access log on)" if access_log else "keel serve"
    return Server(label, cmd, "/predict/cancer", record, unset=("OMP_WAIT_POLICY",), port=port)


def litserve(
    python: Path, folder: Path, model: Path, names: Path, record: dict, port: int
) -> Server:
    app = folder / "litserve_app.py"
    app.write_text(LITSERVE_APP)
    cmd = [str(python), str(app), str(model), str(names), str(port)]
    return Server("LitServe", cmd, "/predict", record, port=port)


def bentoml(
    python: Path, folder: Path, model: Path, names: Path, record: dict, port: int
) -> Server:
    service = folder / "bentoml_service"
    service.mkdir(exist_ok=True)
    (service / "service.py").write_text(BENTOML_APP)
    bentoml_bin = str(python.parent / "bentoml")
    env = {"BENCH_MODEL": str(model), "BENCH_NAMES": str(names)}
    cmd = [bentoml_bin, "serve", "service:Cancer", "--port", str(port), "--host", "127.0.0.1"]
    return Server("BentoML", cmd, "/predict", {"record": record}, env=env, cwd=service, port=port)


def mlserver(python: Path, folder: Path, model: Path, record: dict, port: int) -> Server:
    root = folder / "mlserver"
    (root / "cancer").mkdir(parents=True, exist_ok=True)
    (root / "settings.json").write_text(json.dumps({
        "http_port": port, "grpc_port": port + 1, "metrics_port": port + 2,
        "host": "127.0.0.1",
        # Inference in the server process: MLServer's worker pool (parallel_workers >= 1)
        # dies at start with the uvloop that installs beside it ("no current event loop").
        "parallel_workers": 0,
    }))  # fmt: skip
    (root / "cancer" / "model-settings.json").write_text(json.dumps({
        "name": "cancer", "implementation": "mlserver_lightgbm.LightGBMModel",
        "parameters": {"uri": str(model)},
    }))  # fmt: skip
    body = {"inputs": [{"name": "input-0", "shape": [1, len(record)], "datatype": "FP64",
                        "data": list(record.values())}]}  # fmt: skip
    cmd = [str(python.parent / "mlserver"), "start", str(root)]
    return Server("MLServer", cmd, "/v2/models/cancer/infer", body, port=port)


def mlflow(python: Path, folder: Path, model: Path, record: dict, port: int) -> Server:
    import subprocess

    saved = folder / "mlflow_model"
    if not saved.exists():
        script = folder / "mlflow_save.py"
        script.write_text(MLFLOW_SAVE)
        subprocess.run([str(python), str(script), str(model), str(saved)], check=True,
                       capture_output=True, timeout=300)  # fmt: skip
    body = {"dataframe_split": {"columns": list(record), "data": [list(record.values())]}}
    cmd = [str(python.parent / "mlflow"), "models", "serve", "-m", str(saved), "-p", str(port),
           "--host", "127.0.0.1", "--env-manager", "local"]  # fmt: skip
    return Server("mlflow models serve", cmd, "/invocations", body, port=port)

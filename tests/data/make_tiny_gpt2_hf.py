"""Make tests/data/tiny-gpt2-hf: a tiny GPT-2 saved by Hugging Face transformers itself, with its logits.

Needs torch and transformers, which glviz does not depend on: run it in a scratch environment, e.g.
    python -m venv /tmp/hfenv && /tmp/hfenv/bin/pip install torch transformers
    /tmp/hfenv/bin/python tests/data/make_tiny_gpt2_hf.py
The test suite does not run it; it checks glviz's loader and forward pass against what it wrote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import transformers

OUT = Path(__file__).resolve().parent / "tiny-gpt2-hf"
TOKENS = [3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 3, 2, 38, 4, 6, 43, 38, 32, 7]  # 20 of the 32 positions
PROMPT = 8  # the first 8 tokens are the prompt of the generation check


def main() -> None:
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=16, vocab_size=64, n_positions=32)
    model = transformers.GPT2LMHeadModel(config).eval()
    # GPT-2's own initialisation (std 0.02, zero biases, unit gains) would leave most terms negligible: give
    # every parameter a value that matters, so that a mixed-up or transposed tensor changes the logits.
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                parameter.copy_(1.0 + 0.2 * noise)
            else:
                parameter.copy_((0.1 if parameter.ndim == 1 else 0.3) * noise)
    model.save_pretrained(OUT)  # config.json + model.safetensors, as transformers writes them

    ids = torch.tensor([TOKENS])
    with torch.no_grad():
        output = model(ids, output_hidden_states=True)
        generated = model.generate(ids[:, :PROMPT], max_new_tokens=8, do_sample=False, use_cache=True,
                                   pad_token_id=0)
    np.save(OUT / "tokens.npy", np.array(TOKENS, dtype=np.int64))
    np.save(OUT / "expected_logits.npy", output.logits[0].numpy().astype(np.float32))  # (T, V)
    np.save(OUT / "expected_ln_f.npy", output.hidden_states[-1][0].numpy().astype(np.float32))  # (T, C)
    np.save(OUT / "expected_generated.npy", generated[0, PROMPT:].numpy().astype(np.int64))  # greedy, cached
    print(f"wrote {OUT} with transformers {transformers.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()

"""sampling: write sample(logits, temperature, top_k, top_p, generator) -> token ids.

logits (B, V) float; temperature > 0; top_k an int (0: off); top_p in (0, 1] (1.0: off);
generator a torch.Generator that every random draw must come from. Returns int64 ids
of shape (B,), one draw per row, from softmax(logits / temperature) cut to the top k,
then to the top p (ties at either boundary are kept).

Judge your solution with:

    quizzer judge submissions/sampling.py --task sampling
"""

import torch


def sample(logits, temperature, top_k, top_p, generator):
    # TODO: temperature, then top-k, then top-p, then one draw per row from generator
    raise NotImplementedError

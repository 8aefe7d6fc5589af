"""pad-collate: a collate_fn for variable-length sequences, and a bucketing batch
sampler.

pad_collate(batch, pad_id, pad_to_multiple_of): batch is a list of (tokens, label)
samples, tokens an int64 tensor (L_i,), label an int. Return (tokens (B, L) int64,
right-padded with pad_id; lengths (B,) int64; mask (B, L) bool, True at real tokens;
labels (B,) int64), in the batch's order; L is the longest length, rounded up to a
multiple of pad_to_multiple_of unless it is None.

bucket_batches(lengths, max_tokens, seed): batches (lists of indices) of similar
lengths, every index exactly once, at most max_tokens tokens once padded, in an order
shuffled by torch.Generator().manual_seed(seed).

Judge your solution with:

    quizzer judge submissions/pad_collate.py --task pad-collate
"""

import torch


def pad_collate(batch, pad_id=0, pad_to_multiple_of=None):
    # TODO: the padded width; the padded tokens; lengths, mask and labels
    raise NotImplementedError


def bucket_batches(lengths, max_tokens, seed):
    # TODO: sort indices by length, cut batches under the padded-token bound,
    # shuffle the batches' order with a generator seeded with seed
    raise NotImplementedError

"""A correct solution in another style: a preallocated mask filled row by row, and a
sampler that groups lengths into ranges of 4 (coarser than sorting: it pads more,
within the task's allowance), cuts each range greedily and shuffles the batches
with a permutation from a generator seeded with the seed."""

import torch


def pad_collate(batch, pad_id, pad_to_multiple_of):
    n = len(batch)
    longest = max(int(t.shape[0]) for t, _ in batch)
    m = pad_to_multiple_of
    width = longest if m is None else (longest + m - 1) // m * m
    tokens = torch.empty(n, width, dtype=torch.int64).fill_(pad_id)
    mask = torch.zeros(n, width, dtype=torch.bool)
    lengths = torch.empty(n, dtype=torch.int64)
    labels = torch.empty(n, dtype=torch.int64)
    for i, (t, y) in enumerate(batch):
        tokens[i, : len(t)] = t
        mask[i, : len(t)] = True
        lengths[i] = len(t)
        labels[i] = y
    return tokens, lengths, mask, labels


def bucket_batches(lengths, max_tokens, seed):
    ranges = {}
    for i, n in enumerate(lengths):
        ranges.setdefault((n - 1) // 4, []).append(i)
    batches = []
    for key in sorted(ranges):
        batch, longest = [], 0
        for i in ranges[key]:
            if batch and (len(batch) + 1) * max(longest, lengths[i]) > max_tokens:
                batches.append(batch)
                batch, longest = [], 0
            batch.append(i)
            longest = max(longest, lengths[i])
        if batch:
            batches.append(batch)
    shuffled = torch.randperm(len(batches), generator=torch.Generator().manual_seed(seed))
    return [batches[i] for i in shuffled.tolist()]

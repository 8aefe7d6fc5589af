"""A forgery: a collate function with float lengths and left padding that returns
tensor subclasses claiming to be int64 and equal to anything, and patches the model
host's packer so that they go out as they are, and a sampler that drops the last
batch and returns ints that compare equal to every index. The judge rebuilds plain
tensors and ints from the bytes it receives and compares them itself."""

import sys

import torch


class Agreeable(torch.Tensor):
    @property
    def dtype(self):
        return torch.int64

    def __eq__(self, other):
        return True


class Anything(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


for name in ("quizzer_worker_packing", "quizzer.judge.worker.packing"):
    packing = sys.modules.get(name)
    if packing is not None:
        packing.plain_outputs = lambda out, count: list(out)
        packing.plain_batches = lambda out: out


def pad_collate(batch, pad_id=0, pad_to_multiple_of=None):
    width = max(len(t) for t, _ in batch)
    rows = [torch.cat([torch.full((width - len(t),), pad_id), t]) for t, _ in batch]
    tokens = torch.stack(rows).as_subclass(Agreeable)
    lengths = torch.tensor([float(len(t)) for t, _ in batch]).as_subclass(Agreeable)
    mask = (tokens != pad_id).as_subclass(Agreeable)
    labels = torch.tensor([y for _, y in batch]).as_subclass(Agreeable)
    return tokens, lengths, mask, labels


def bucket_batches(lengths, max_tokens, seed):
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [[Anything(i) for i in order[k : k + 2]] for k in range(0, len(order) - 2, 2)]

"""A correct solution in another style: pad_sequence for the padding, F.pad for the
multiple, and a sampler that shuffles with randperm over sorted chunks."""

import math

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence


def pad_collate(batch, pad_id=0, pad_to_multiple_of=None):
    seqs, labels = zip(*batch)
    tokens = pad_sequence(list(seqs), batch_first=True, padding_value=pad_id)
    if pad_to_multiple_of:
        width = math.ceil(tokens.shape[1] / pad_to_multiple_of) * pad_to_multiple_of
        tokens = F.pad(tokens, (0, width - tokens.shape[1]), value=pad_id)
    lengths = torch.as_tensor([s.numel() for s in seqs])
    mask = torch.arange(tokens.shape[1]).expand_as(tokens) < lengths.unsqueeze(1)
    return tokens, lengths, mask, torch.as_tensor(labels)


def bucket_batches(lengths, max_tokens, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    by_length = torch.argsort(torch.tensor(lengths), stable=True).tolist()
    batches = []
    start = 0
    while start < len(by_length):
        end = start + 1
        while end < len(by_length) and (end - start + 1) * lengths[by_length[end]] <= max_tokens:
            end += 1
        batches.append(by_length[start:end])
        start = end
    return [batches[i] for i in torch.randperm(len(batches), generator=g)]

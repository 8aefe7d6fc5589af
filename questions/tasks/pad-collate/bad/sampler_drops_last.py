import torch


def pad_collate(batch, pad_id=0, pad_to_multiple_of=None):
    sequences = [tokens for tokens, _ in batch]
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    width = int(lengths.max())
    if pad_to_multiple_of is not None:
        width = -(-width // pad_to_multiple_of) * pad_to_multiple_of  # round up
    tokens = torch.full((len(batch), width), pad_id, dtype=torch.long)
    for row, s in enumerate(sequences):
        tokens[row, : len(s)] = s
    mask = torch.arange(width) < lengths[:, None]
    labels = torch.tensor([label for _, label in batch], dtype=torch.long)
    return tokens, lengths, mask, labels


def bucket_batches(lengths, max_tokens, seed):
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches, batch = [], []
    for i in order:
        # sorted ascending, so lengths[i] is the longest of the batch once added
        if batch and (len(batch) + 1) * lengths[i] > max_tokens:
            batches.append(batch)
            batch = []
        batch.append(i)
    generator = torch.Generator().manual_seed(seed)
    return [batches[j] for j in torch.randperm(len(batches), generator=generator).tolist()]

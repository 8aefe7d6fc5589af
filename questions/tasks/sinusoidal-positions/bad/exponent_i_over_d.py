import torch


def add_sinusoidal_positions(x):
    t, d = x.shape[-2], x.shape[-1]
    position = torch.arange(t, dtype=x.dtype, device=x.device).unsqueeze(1)  # (T, 1)
    i = torch.arange(d // 2, dtype=x.dtype, device=x.device)  # i = 0, 1, 2, ...
    angle = position / 10000.0 ** (i / d)  # the paper has 2i / D
    pe = torch.empty(t, d, dtype=x.dtype, device=x.device)
    pe[:, 0::2] = torch.sin(angle)  # features 0, 2, 4, ...
    pe[:, 1::2] = torch.cos(angle)  # features 1, 3, 5, ...: the same frequencies
    return x + pe  # broadcast over the batch

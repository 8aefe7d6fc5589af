import torch


def add_sinusoidal_positions(x):
    t, d = x.shape[-2], x.shape[-1]
    position = torch.arange(t, dtype=x.dtype, device=x.device).unsqueeze(1)  # (T, 1)
    two_i = torch.arange(0, d, 2, dtype=x.dtype, device=x.device)  # 2i = 0, 2, 4, ...
    angle = position / 10000.0 ** (two_i / d)  # (T, D / 2)
    pe = torch.empty(t, d, dtype=x.dtype, device=x.device)
    pe[:, 0::2] = torch.sin(angle)  # features 0, 2, 4, ...
    pe[:, 1::2] = torch.cos(angle)  # features 1, 3, 5, ...: the same frequencies
    x += pe  # changes the caller's tensor
    return x

import torch


def sample(logits, temperature, top_k, top_p, generator):
    logits /= temperature  # changes the caller's tensor
    vocab = logits.shape[-1]
    if 0 < top_k < vocab:
        kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]
        logits[logits < kth] = float("-inf")
    if top_p < 1.0:
        probs = torch.softmax(logits, dim=-1)
        ordered = probs.sort(dim=-1, descending=True).values
        reach = (ordered.cumsum(dim=-1) < top_p).sum(dim=-1, keepdim=True).clamp(max=vocab - 1)
        threshold = ordered.gather(-1, reach)
        logits[probs < threshold] = float("-inf")
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

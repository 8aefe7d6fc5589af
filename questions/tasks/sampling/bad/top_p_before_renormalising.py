import torch


def sample(logits, temperature, top_k, top_p, generator):
    probs = torch.softmax(logits / temperature, dim=-1)
    vocab = logits.shape[-1]
    if 0 < top_k < vocab:
        kth = torch.topk(probs, top_k, dim=-1).values[..., -1:]
        probs = probs.masked_fill(probs < kth, 0.0)
    if top_p < 1.0:
        # the running total of the top-k probabilities before renormalising them
        ordered = probs.sort(dim=-1, descending=True).values
        reach = (ordered.cumsum(dim=-1) < top_p).sum(dim=-1, keepdim=True).clamp(max=vocab - 1)
        threshold = ordered.gather(-1, reach)
        probs = probs.masked_fill(probs < threshold, 0.0)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

# A correct sampler in another style: the Gumbel-max trick. argmax(z + g) with g
# standard Gumbel noise is a draw from softmax(z); filtered tokens stay at -inf.
import torch


def sample(logits, temperature, top_k, top_p, generator):
    z = torch.where(torch.isfinite(logits), logits / temperature, logits)
    if top_k > 0:
        kth = z.topk(min(top_k, z.shape[-1]), dim=-1).values[..., -1:]
        z = torch.where(z >= kth, z, torch.full_like(z, float("-inf")))
    if top_p < 1.0:
        probs = z.softmax(dim=-1)
        ordered, _ = probs.sort(dim=-1, descending=True)
        before = ordered.cumsum(dim=-1) - ordered  # mass of the tokens above each one
        kept = ordered.masked_fill(before >= top_p, float("inf"))
        threshold = kept.min(dim=-1, keepdim=True).values  # the last token kept
        z = torch.where(probs >= threshold, z, torch.full_like(z, float("-inf")))
    u = torch.rand(z.shape, generator=generator, device=z.device, dtype=torch.float64)
    gumbel = -torch.log(-torch.log(u.clamp_min(1e-300)))
    return torch.argmax(z.double() + gumbel, dim=-1)

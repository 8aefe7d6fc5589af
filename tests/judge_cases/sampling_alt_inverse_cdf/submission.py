# A correct sampler in another style: one row at a time in plain Python over sorted
# probabilities, top-k and top-p by counting, then inverse-CDF sampling with a uniform
# number from the generator.
import math

import torch


def sample(logits, temperature, top_k, top_p, generator):
    ids = []
    uniforms = torch.rand(logits.shape[0], generator=generator, device=logits.device)
    for row, u in zip(logits.tolist(), uniforms.tolist()):
        z = [v / temperature for v in row]
        order = sorted(range(len(z)), key=lambda i: -z[i])
        if top_k > 0:
            kth = z[order[min(top_k, len(z)) - 1]]
            order = [i for i in order if z[i] >= kth]
        top = z[order[0]]
        weights = [math.exp(z[i] - top) for i in order]
        total = sum(weights)
        probs = [w / total for w in weights]
        if top_p < 1.0:
            running, cut = 0.0, len(probs) - 1
            for n, p in enumerate(probs):
                running += p
                if running >= top_p:
                    cut = n
                    break
            keep = [n for n, p in enumerate(probs) if p >= probs[cut]]
            order = [order[n] for n in keep]
            probs = [probs[n] for n in keep]
            total = sum(probs)
            probs = [p / total for p in probs]
        running = 0.0
        choice = order[-1]
        for i, p in zip(order, probs):
            running += p
            if u < running:
                choice = i
                break
        ids.append(choice)
    return torch.tensor(ids, dtype=torch.int64, device=logits.device)

"""A correct beam-search in another style: each sample decoded on its own with Python
lists of hypotheses, sorted by score at every step."""

import torch
import torch.nn as nn


class BeamSearch(nn.Module):
    def __init__(self, beam_width, max_len, eos_id, alpha):
        super().__init__()
        self.beam_width, self.max_len = beam_width, max_len
        self.eos_id, self.alpha = eos_id, alpha

    def _decode(self, table):
        log_probs = table.log_softmax(dim=-1).tolist()
        beam = [(0.0, [], None)]  # (score, tokens, length once finished)
        for _ in range(self.max_len):
            candidates = []
            for score, tokens, length in beam:
                if length is not None:
                    candidates.append((score, [*tokens, self.eos_id], length))
                    continue
                row = log_probs[tokens[-1] if tokens else 0]
                for token, lp in enumerate(row):
                    ends = len(tokens) + 1 if token == self.eos_id else None
                    candidates.append((score + lp, [*tokens, token], ends))
            candidates.sort(key=lambda c: c[0], reverse=True)
            beam = candidates[: self.beam_width]

        def penalised(hyp):
            score, _, length = hyp
            return score / ((5 + (length or self.max_len)) / 6) ** self.alpha

        best = max(beam, key=penalised)
        return best[1], penalised(best)

    def forward(self, logits):
        results = [self._decode(table) for table in logits]
        tokens = torch.tensor([r[0] for r in results], dtype=torch.long, device=logits.device)
        score = torch.tensor([[r[1]] for r in results], dtype=logits.dtype, device=logits.device)
        return tokens, score

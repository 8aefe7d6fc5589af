"""beam-search: BeamSearch(beam_width, max_len, eos_id, alpha), beam search with the
GNMT length penalty over a bigram table of logits.

logits (B, V, V): row p of sample b holds the logits of the next token after token p;
decoding starts after token 0 (BOS). Keep the beam_width hypotheses with the highest
summed log-probabilities at each of max_len steps; a hypothesis that emits eos_id is
finished and only repeats eos_id at no cost. Return (tokens (B, max_len) int64, score
(B, 1)): the hypothesis with the highest score / ((5 + length) / 6) ** alpha (its length
counts the eos_id token) and that penalised score.

Judge your solution with:

    quizzer judge submissions/beam_search.py --task beam-search
"""

import torch.nn as nn


class BeamSearch(nn.Module):
    def __init__(self, beam_width, max_len, eos_id, alpha):
        super().__init__()
        self.beam_width, self.max_len = beam_width, max_len
        self.eos_id, self.alpha = eos_id, alpha

    def forward(self, logits):
        # TODO: log-softmax over the next token; one live beam at the start
        # TODO: each step, the beam_width best extensions of all beams together
        # TODO: freeze finished beams; pick the best by the length penalty
        raise NotImplementedError

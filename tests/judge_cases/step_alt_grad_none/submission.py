import torch


def train_step(model, optimizer, loss_fn, x, y, max_norm):
    model.train()
    for p in model.parameters():
        p.grad = None
    loss = loss_fn(model(x), y)
    loss.backward()
    params = [p for p in model.parameters() if p.grad is not None]
    torch.nn.utils.clip_grad_norm_(params, max_norm)
    optimizer.step()
    return float(loss.detach())

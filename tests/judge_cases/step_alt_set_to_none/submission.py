from torch.nn.utils import clip_grad_norm_


def train_step(model, optimizer, loss_fn, x, y, max_norm=1.0):
    model.train(True)
    optimizer.zero_grad(set_to_none=False)
    output = model(x)
    loss = loss_fn(output, y)
    loss.backward()
    clip_grad_norm_(model.parameters(), max_norm=max_norm)
    optimizer.step()
    return loss.item()

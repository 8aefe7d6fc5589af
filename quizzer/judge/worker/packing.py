"""What the model host makes of an entry's return value before the harness reads it:
a tuple packed into one tensor (`spec.outputs`), so that every check sees one output,
and a collate function's outputs as plain tensors the wire can carry (bool as uint8).

Called by `modelhost.py`, in the process that runs the submission: nothing here is
trusted. It only reshapes what the submission returned; the judge checks every value
it receives against values it computed itself. Standalone: torch only.
"""

from __future__ import annotations

from typing import Any

import torch

_Tensor = torch.Tensor


def _describe(value: Any) -> str:
    if type(value) is _Tensor:
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def pack_outputs(out: Any, outputs: list[dict]) -> _Tensor:
    """The elements of the tuple `out`, in order, as one tensor along the last
    dimension: integer elements cast to the floating elements' dtype, a scalar
    repeated as one column. `outputs` lists each element's name, dtype ("float" or
    "int64") and whether it is a scalar. A return value of another form raises an
    error that names what the task expects."""
    names = ", ".join(o["name"] for o in outputs)
    if not isinstance(out, (tuple, list)) or len(out) != len(outputs):
        raise TypeError(f"the task asks for a tuple ({names}); got {_describe(out)}")
    lead: tuple[int, ...] | None = None
    dtype = None
    for value, want in zip(out, outputs, strict=True):
        name = want["name"]
        if type(value) is not _Tensor:
            raise TypeError(f"{name} must be a torch.Tensor; got {_describe(value)}")
        if want["dtype"] == "int64" and value.dtype != torch.int64:
            raise TypeError(f"{name} must be an int64 tensor; got {_describe(value)}")
        if want["dtype"] == "float":
            if not value.is_floating_point():
                raise TypeError(f"{name} must be a floating-point tensor; got {_describe(value)}")
            dtype = dtype or value.dtype
        if want["scalar"]:
            if value.dim() != 0:
                raise ValueError(f"{name} must be a scalar (0-d tensor); got {_describe(value)}")
        elif value.dim() == 0:
            raise ValueError(f"{name} must not be a scalar; got {_describe(value)}")
        elif lead is None:
            lead = tuple(value.shape[:-1])
        elif tuple(value.shape[:-1]) != lead:
            first = next(o["name"] for o in outputs if not o["scalar"])
            raise ValueError(
                f"{name} has shape {tuple(value.shape)}; its leading dimensions must be "
                f"those of {first}, {lead}"
            )
    assert lead is not None and dtype is not None  # the spec has one of each
    columns = []
    for value, want in zip(out, outputs, strict=True):
        value = value.to(dtype)
        if want["scalar"]:
            value = value.reshape((1,) * (len(lead) + 1)).expand(*lead, 1)
        columns.append(value)
    return torch.cat(columns, dim=-1)


def plain_outputs(out: Any, count: int) -> list:
    """A collate function's return value as a list of `count` elements: each a plain
    tensor (a bool one as {"bool": uint8 tensor}, since the wire has no bool) or, for
    anything else, what it is, in words. A return value that is not a tuple or list of
    `count` elements is described as a whole."""
    if not isinstance(out, (tuple, list)) or len(out) != count:
        return [{"$what": _describe(out)}]
    plain: list = []
    for value in out:
        if type(value) is not _Tensor:
            plain.append({"$what": _describe(value)})
        elif value.dtype == torch.bool:
            plain.append({"bool": value.detach().to("cpu", torch.uint8)})
        else:
            plain.append(value.detach().to("cpu"))
    return plain


#: The most batches and indices a sampler's answer may hold.
MAX_BATCHES, MAX_INDICES = 100_000, 1_000_000


def plain_batches(out: Any) -> Any:
    """A sampler's batches (any iterable of iterables of ints, tensors included) as
    lists of Python ints, or {"$what": text} for anything else."""
    try:
        batches, total = [], 0
        for batch in out:
            items = batch.tolist() if type(batch) is _Tensor else list(batch)
            if not all(type(i) is int for i in items):
                return {"$what": f"a batch of {type(items[0]).__name__ if items else '?'}"}
            batches.append(items)
            total += len(items)
            if len(batches) > MAX_BATCHES or total > MAX_INDICES:
                return {"$what": "more batches or indices than the dataset has"}
        return batches
    except TypeError:
        return {"$what": _describe(out)}

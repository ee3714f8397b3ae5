"""Starting a run from another model's generator, e.g. the 64 px model from the 32 px one.

GIRAFFE's feature fields, codes and poses do not depend on the image size, and the 2D neural
renderer (Sec. 3.4) only gains an upsampling block per doubling: at 64 px it has one more
convolution and one more RGB convolution than at 32 px, and every other tensor keeps its name
and shape. :func:`init_generator` copies the shared tensors and zeroes the new RGB convolutions,
so that the first image of the larger model is the smaller model's RGB upsampled (bilinear and
blurred, the renderer's own RGB path) and training starts from it, not from noise. The
discriminator is not copied: its strided layers see other resolutions at another image size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from inrkit.errors import InrkitError
from inrkit.giraffe.model import Giraffe

_RGB_CONV = "neural_renderer.conv_rgb."


@dataclass(frozen=True)
class Transfer:
    """What :func:`init_generator` did, by generator tensor name (without the module prefix).

    Attributes:
        copied: Tensors taken from the source.
        zeroed: New RGB convolutions of the renderer, set to zero.
        new: Other tensors the source lacks, left as initialised.
    """

    copied: tuple[str, ...]
    zeroed: tuple[str, ...]
    new: tuple[str, ...]


def _source_generator(state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """The averaged generator of a checkpoint's ``model`` state (else the trained one), by
    name within the generator."""
    for prefix in ("generator_test.", "generator."):
        found = {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}
        if found:
            return found
    raise InrkitError(f"{source}: no GIRAFFE generator weights to start from")


@torch.no_grad()
def init_generator(net: Giraffe, state: dict[str, torch.Tensor], source: str) -> Transfer:
    """Start ``net``'s generator (and its average) from a checkpoint's generator.

    Args:
        net: A freshly built model.
        state: The source checkpoint's ``model`` state dict (official names).
        source: The source's name for messages.

    Raises:
        InrkitError: one line naming ``source`` when a shared tensor differs in shape (the
            fields or codes are sized differently: the configs do not match).
    """
    src = _source_generator(state, source)
    own = net.generator.state_dict()
    copied, zeroed, new = [], [], []
    for name, tensor in own.items():
        if name in src:
            if src[name].shape != tensor.shape:
                raise InrkitError(
                    f"{source}: {name} is {tuple(src[name].shape)} there but "
                    f"{tuple(tensor.shape)} in this config; start from a model with the same "
                    f"field, code and renderer sizes"
                )
            tensor.copy_(src[name])
            copied.append(name)
        elif name.startswith(_RGB_CONV):
            tensor.zero_()  # a new block adds nothing to the RGB until it learns to
            zeroed.append(name)
        else:
            new.append(name)
    if not copied:
        raise InrkitError(f"{source}: none of its generator tensors fit this config")
    if net.generator_test is not None:
        net.generator_test.load_state_dict(net.generator.state_dict())
    return Transfer(tuple(copied), tuple(zeroed), tuple(new))

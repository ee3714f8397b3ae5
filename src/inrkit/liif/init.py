"""Start a LIIF model as a plain interpolator, so training begins near bilinear quality.

LIIF's local ensemble blends the predictions of the four nearest latent codes with the
areas of the opposite rectangles: exactly the weights of bilinear interpolation. So if the
encoder passes the input colours through and the decoder returns the colour of its own
(centre) code, the untrained model *is* bilinear upsampling (up to the official code's
tie-breaking where queries fall exactly on latent pixel centres at the image border).
:func:`interpolating_init` sets the weights so (architecture and state-dict layout
unchanged, the official format still loads them):

* encoder (EDSR family, ``no_upsampling``): the head copies R, G, B into latent channels
  0-2 (the other channels keep their random start) and the last convolution of the body is
  zeroed, so the residual body starts as the identity (a zero-initialised residual branch);
* decoder (``mlp``): hidden units 0-5 carry +RGB and -RGB of the centre code through the
  ReLUs, the output layer reads ``(+c) - (-c)`` and starts at zero weight everywhere else.

The remaining units start random; their output weights are zero, so they add nothing until
training moves them. Gradients reach every parameter after the first step.
"""

from __future__ import annotations

import torch
from torch import nn

from inrkit.errors import InrkitError
from inrkit.liif.encoders import EDSR
from inrkit.liif.model import LIIF


@torch.no_grad()
def interpolating_init(model: nn.Module) -> None:
    """Set a LIIF (EDSR encoder, MLP decoder) to bilinear interpolation of its input, in place.

    Raises:
        InrkitError: for models this start does not apply to (other encoders, no decoder,
            an encoder with its own upsampler, or a decoder narrower than 6 units).
    """
    if not isinstance(model, LIIF) or model.imnet is None:
        raise InrkitError("init 'interpolating' needs a LIIF model with an MLP decoder")
    encoder = model.encoder
    if not isinstance(encoder, EDSR) or not encoder.no_upsampling:
        raise InrkitError("init 'interpolating' needs an EDSR encoder with no_upsampling")
    linears = [m for m in model.imnet.layers if isinstance(m, nn.Linear)]
    if len(linears) < 2 or min(lin.out_features for lin in linears[:-1]) < 6:
        raise InrkitError("init 'interpolating' needs a decoder with hidden layers of >= 6 units")
    if linears[-1].out_features != 3:
        raise InrkitError("init 'interpolating' needs a decoder with 3 outputs (RGB)")

    head, tail = encoder.head[0], encoder.body[-1]
    # EDSR's first and last convolutions, both with a bias (said here for the type checker).
    assert isinstance(head, nn.Conv2d) and head.bias is not None
    assert isinstance(tail, nn.Conv2d) and tail.bias is not None
    head.weight[:3].zero_()
    head.bias[:3].zero_()
    for c in range(3):
        head.weight[c, c, 1, 1] = 1.0
    tail.weight.zero_()
    tail.bias.zero_()

    # Where the centre code's channel c sits in the decoder input (official unfold order:
    # channel-major, 3x3 taps row by row, the centre is tap 4).
    taps = 9 if model.feat_unfold else 1
    centre = 4 if model.feat_unfold else 0
    first = linears[0]
    first.weight[:6].zero_()
    first.bias[:6].zero_()
    for c in range(3):
        first.weight[c, c * taps + centre] = 1.0
        first.weight[c + 3, c * taps + centre] = -1.0
    for lin in linears[1:-1]:
        lin.weight[:6].zero_()
        lin.bias[:6].zero_()
        for unit in range(6):
            lin.weight[unit, unit] = 1.0
    last = linears[-1]
    last.weight.zero_()
    last.bias.zero_()
    for c in range(3):
        last.weight[c, c] = 1.0
        last.weight[c, c + 3] = -1.0


INITS = {"interpolating": interpolating_init}
"""Named starts a training config may ask for (``init: NAME``)."""

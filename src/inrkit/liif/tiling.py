"""Exact tiled encoding for bounded memory.

A convolutional encoder's output at a pixel depends only on input pixels within its
receptive radius, and zero padding happens only at the image's own edges. Encoding a crop
that reaches at least that radius beyond the wanted region therefore gives *exactly* the
codes of whole-image encoding there. Encoders with global operations (RCAN's channel
attention pools the whole map) are not tileable and are encoded whole.
"""

from __future__ import annotations

from torch import nn

# Leaf modules whose reach we know; anything else makes an encoder "not tileable".
_POINTWISE = (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.Identity)


def receptive_radius(encoder: nn.Module) -> int | None:
    """Upper bound on how many pixels away an output code can see, or None if unbounded.

    Sums ``dilation * (kernel - 1) / 2`` over every stride-1 convolution: each lies on at most
    one path through EDSR, RDN and similar stacks, so the sum bounds every path.
    """
    radius = 0
    for module in encoder.modules():
        if list(module.children()):
            continue  # containers: their leaves are counted
        if isinstance(module, nn.Conv2d):
            if module.stride != (1, 1) or module.padding_mode != "zeros":
                return None
            if module.kernel_size[0] % 2 == 0 or module.kernel_size[1] % 2 == 0:
                return None
            ky, kx = module.kernel_size
            radius += max(module.dilation[0] * (ky - 1), module.dilation[1] * (kx - 1)) // 2
        elif not isinstance(module, _POINTWISE):
            return None
    return radius


def split(n: int, tile: int) -> list[tuple[int, int]]:
    """Cut ``range(n)`` into consecutive ``(start, stop)`` runs of at most ``tile``."""
    return [(i, min(i + tile, n)) for i in range(0, n, tile)]


def scaled_bounds(bounds: list[tuple[int, int]], n_in: int, n_out: int) -> list[tuple[int, int]]:
    """Map input runs to output runs of an axis resized from n_in to n_out, gap-free."""
    cut = [round_half_up(start * n_out / n_in) for start, _ in bounds] + [n_out]
    return [(a, b) for a, b in zip(cut[:-1], cut[1:], strict=True) if b > a]


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (Python's round() would go to even)."""
    return int(x + 0.5)

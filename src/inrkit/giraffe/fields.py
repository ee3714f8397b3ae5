"""Feature fields: the MLP h(gamma(x), gamma(d), z_s, z_a) -> (sigma, f) of GIRAFFE Sec. 3.1.

One class serves the objects and the background (the official ``Decoder``, "simple"): a
positional encoding of the point (Eq. 2), a density branch conditioned on the shape code with
a skip connection, and a feature branch conditioned on the appearance code and the encoded
viewing direction. Parameter names are the official ones, so official state dicts load as is.

Two ways in:

* :meth:`FeatureField.forward` is the official call: points (B, N, 3), directions (B, N, 3),
  one code per batch row.
* :meth:`FeatureField.query` is the fast path the generator uses: any set of points (M, 3), each
  naming the row of the code tables it belongs to (so every object of every scene goes through
  one call), and a view term computed once per ray by :meth:`FeatureField.view_term` instead of
  once per sample (the direction is the same for all samples of a ray).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from inrkit.nn.precision import autocast


def positional_encoding(p: torch.Tensor, n_freq: int) -> torch.Tensor:
    """gamma(p) = (sin(2^0 pi p), cos(2^0 pi p), ..., cos(2^(L-1) pi p)), (..., 6 L).

    Ordered per octave as [sin(3), cos(3)] like the official code; the factors 2^i pi are
    rounded to float32 before multiplying, as the official scalar products are, so the result
    is bit-identical.
    """
    freqs = torch.tensor([(2**i) * math.pi for i in range(n_freq)], dtype=p.dtype, device=p.device)
    x = p.unsqueeze(-2) * freqs.unsqueeze(-1)  # (..., L, 3)
    # sin and cos into contiguous tensors, then one interleaving copy: written straight into
    # the interleaved layout (runs of 3) they take a scalar loop, several times slower.
    return torch.stack([torch.sin(x), torch.cos(x)], dim=-2).flatten(-3)


class FeatureField(nn.Module):
    """A conditional feature field; the object fields and the background share this design.

    Built from a :class:`~inrkit.giraffe.config.FieldConfig` by
    :func:`inrkit.giraffe.build.feature_field`; the arguments are its fields (see there).

    Args:
        z_dim: Size of the shape and appearance codes.
        hidden_size: Width of every hidden layer.
        n_blocks: Layers of the density branch.
        skips: Hidden layers after which the encoded point and shape code are added again.
        use_viewdirs: Condition the features on the viewing direction.
        n_freq_posenc / n_freq_posenc_views: Octaves of the encodings of points / directions.
        rgb_out_dim: Channels of the feature output (M_f).
        final_sigmoid_activation: Squash the features with a sigmoid.
        downscale_p_by: Points are divided by this before the encoding.
    """

    def __init__(
        self,
        z_dim: int,
        *,
        hidden_size: int = 128,
        n_blocks: int = 8,
        skips: Sequence[int] = (4,),
        use_viewdirs: bool = True,
        n_freq_posenc: int = 10,
        n_freq_posenc_views: int = 4,
        rgb_out_dim: int = 128,
        final_sigmoid_activation: bool = False,
        downscale_p_by: float = 2.0,
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.skips = list(skips)
        self.use_viewdirs = use_viewdirs
        self.n_freq_posenc, self.n_freq_posenc_views = n_freq_posenc, n_freq_posenc_views
        self.rgb_out_dim = rgb_out_dim
        """Channels of the features it returns."""
        self.final_sigmoid_activation = final_sigmoid_activation
        self.downscale_p_by = downscale_p_by
        hidden = hidden_size
        dim_embed = 3 * n_freq_posenc * 2
        dim_embed_view = 3 * n_freq_posenc_views * 2

        # Density branch.
        self.fc_in = nn.Linear(dim_embed, hidden)
        self.fc_z = nn.Linear(z_dim, hidden)
        self.blocks = nn.ModuleList([nn.Linear(hidden, hidden) for _ in range(n_blocks - 1)])
        # The official module count (skips in 0..n_blocks-2) and use (after block idx with
        # idx + 1 in skips, idx < n_blocks - 2) differ; both are kept so state dicts match.
        n_skips = sum(i in self.skips for i in range(n_blocks - 1))
        if n_skips > 0:
            self.fc_z_skips = nn.ModuleList([nn.Linear(z_dim, hidden) for _ in range(n_skips)])
            self.fc_p_skips = nn.ModuleList([nn.Linear(dim_embed, hidden) for _ in range(n_skips)])
        self.sigma_out = nn.Linear(hidden, 1)

        # Feature branch.
        self.fc_z_view = nn.Linear(z_dim, hidden)
        self.feat_view = nn.Linear(hidden, hidden)
        self.fc_view = nn.Linear(dim_embed_view, hidden)
        self.feat_out = nn.Linear(hidden, rgb_out_dim)

    def encode_points(self, p: torch.Tensor) -> torch.Tensor:
        """gamma(p / downscale_p_by): points scaled into the field's [-1, 1] extent."""
        return positional_encoding(p / self.downscale_p_by, self.n_freq_posenc)

    def view_term(self, ray_d: torch.Tensor) -> torch.Tensor:
        """fc_view(gamma(d / |d|)) for directions (..., 3) -> (..., hidden)."""
        d = ray_d / torch.norm(ray_d, dim=-1, keepdim=True)
        # The official encoder divides directions by downscale_p_by too; kept for equality.
        return self.fc_view(positional_encoding(d / self.downscale_p_by, self.n_freq_posenc_views))

    def query(
        self,
        p: torch.Tensor,
        z_shape: torch.Tensor,
        z_app: torch.Tensor,
        view: torch.Tensor | None,
        index: torch.Tensor | None = None,
        hidden_only: bool = False,
        dtype: torch.dtype = torch.float32,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and densities at points.

        Args:
            p: Points, (G, ..., 3) when ``index`` is None, else (M, 3).
            z_shape: Shape codes (G, z_dim), one per group of points.
            z_app: Appearance codes (G, z_dim).
            view: The :meth:`view_term` of each point's ray, broadcastable to ``p``'s shape
                with ``hidden`` last, or None to ignore directions.
            index: (M,) the group (row of the codes) of each point, or None.
            hidden_only: Return the input of the feature head (see :meth:`output`) instead
                of the features.
            dtype: bfloat16 runs the linear layers in bf16 (autocast); the positional
                encoding (sines of large arguments) and both outputs stay fp32.

        Returns:
            Features (..., rgb_out_dim) and densities (...) before any activation, fp32.
        """
        with autocast(dtype, p.device):
            feat, sigma = self._query(p, z_shape, z_app, view, index, hidden_only)
        return feat.float(), sigma.float()

    def _query(
        self,
        p: torch.Tensor,
        z_shape: torch.Tensor,
        z_app: torch.Tensor,
        view: torch.Tensor | None,
        index: torch.Tensor | None,
        hidden_only: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`query` in whatever precision the autocast state says."""

        def per_point(term: torch.Tensor) -> torch.Tensor:  # (G, H) -> broadcastable to points
            if index is not None:
                return term[index]
            return term.reshape(term.shape[0], *([1] * (p.dim() - 2)), term.shape[-1])

        # In-place adds and ReLUs on fresh layer outputs (autograd-safe: a linear layer keeps
        # its input, not its output) save a full-size temporary per layer.
        enc = self.encode_points(p)
        net = self.fc_in(enc)
        net += per_point(self.fc_z(z_shape))
        net = net.relu_()
        skip = 0
        for idx, layer in enumerate(self.blocks):
            net = layer(net).relu_()
            if (idx + 1) in self.skips and idx < len(self.blocks) - 1:
                net = net + per_point(self.fc_z_skips[skip](z_shape))
                net += self.fc_p_skips[skip](enc)
                skip += 1
        sigma = self.sigma_out(net).squeeze(-1)

        net = self.feat_view(net)
        net += per_point(self.fc_z_view(z_app))
        if self.use_viewdirs and view is not None:
            net += view.to(net.dtype)  # a bf16 += fp32 add is a slow mixed-dtype loop
            net = net.relu_()  # the official code only applies this ReLU with views
        if hidden_only:
            return net, sigma
        return self.output(net), sigma

    def output(self, hidden: torch.Tensor) -> torch.Tensor:
        """The feature head: hidden (..., hidden_size) -> features (..., rgb_out_dim)."""
        feat = self.feat_out(hidden)
        return torch.sigmoid(feat) if self.final_sigmoid_activation else feat

    @property
    def linear_output(self) -> bool:
        """Whether the feature head is affine, so that it commutes with weighted sums."""
        return not self.final_sigmoid_activation

    def integrated_output(self, hidden_sum: torch.Tensor, weight_sum: torch.Tensor) -> torch.Tensor:
        """sum_j w_j feat_out(h_j) from sum_j w_j h_j (..., hidden) and sum_j w_j (...).

        The head is affine, so the weighted sum of features needs it once per ray instead of
        once per sample: (sum w h) W^T + (sum w) b.
        """
        out = F.linear(hidden_sum, self.feat_out.weight)
        return out.addcmul_(weight_sum.unsqueeze(-1), self.feat_out.bias)

    def forward(
        self,
        p_in: torch.Tensor,
        ray_d: torch.Tensor | None,
        z_shape: torch.Tensor,
        z_app: torch.Tensor,
        *,
        dtype: torch.dtype = torch.float32,
        **kwargs: object,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The official call: points and directions (B, N, 3), codes (B, z_dim).

        Returns:
            Features (B, N, rgb_out_dim) and densities (B, N).
        """
        view = self.view_term(ray_d) if (self.use_viewdirs and ray_d is not None) else None
        return self.query(p_in, z_shape, z_app, view, dtype=dtype)

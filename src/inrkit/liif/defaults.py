"""The defaults and limits of :func:`inrkit.liif.upscale`: tile, chunk and output size.

Torch-free, so that ``inrkit upscale --help`` shows them without importing torch.
"""

DEFAULT_MAX_OUTPUT_PIXELS = 16384 * 16384
DEFAULT_TILE = 384  # latent (= input) pixels per tile side
DEFAULT_CHUNK = 1024  # queries per MLP batch: x4 shifts keeps the activations in cache

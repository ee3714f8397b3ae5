"""The whole GIRAFFE model: generator, averaged generator and discriminator (Sec. 3.5).

:class:`Giraffe` is the ``nn.Module`` with the official submodule names (``generator``,
``generator_test``, ``discriminator``), so its state dict is the official checkpoint's
``'model'`` entry key for key; there ``generator`` is the generator being trained and
``generator_test`` its running average. :class:`GiraffeModel` is what
:func:`inrkit.giraffe.load` returns, with names that say which is which:
``.render_generator`` is the averaged generator that renders (as the official renderer uses
it; ``.generator`` is kept for the official call), ``.trained_generator`` the trained one,
``.discriminator`` the discriminator, ``.network`` the module above.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from inrkit.giraffe import build
from inrkit.giraffe.config import GiraffeConfig
from inrkit.giraffe.discriminator import DCDiscriminator
from inrkit.giraffe.generator import Generator


class Giraffe(nn.Module):
    """Generator, its running average ``generator_test`` and the discriminator.

    Args:
        cfg: The model configuration; without ``take_generator_average`` there is no
            ``generator_test``.
    """

    def __init__(self, cfg: GiraffeConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg)
        self.generator_test = copy.deepcopy(self.generator) if cfg.take_generator_average else None
        self.discriminator = build.discriminator(cfg.discriminator, cfg.img_size)

    @property
    def render_generator(self) -> Generator:
        """The generator to render with: the average when there is one."""
        return self.generator_test if self.generator_test is not None else self.generator


@dataclass
class GiraffeModel:
    """A loaded GIRAFFE model.

    Attributes:
        network: The module with the official state-dict names.
        config: Its configuration.
        extras: The rest of the checkpoint (optimizer states, ``epoch_it``, ``it``,
            ``loss_val_best``), written back by :func:`inrkit.giraffe.save`.
    """

    network: Giraffe
    config: GiraffeConfig
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def render_generator(self) -> Generator:
        """The generator that renders and is evaluated: the averaged one (``generator_test``)
        when the model keeps an average, else the trained one."""
        return self.network.render_generator

    @property
    def trained_generator(self) -> Generator:
        """The generator the optimizer trains (``network.generator``)."""
        return self.network.generator

    @property
    def generator(self) -> Generator:
        """:attr:`render_generator`, by the name of the README's official call
        ``model.generator(batch_size=4, mode="val")``."""
        return self.render_generator

    @property
    def generator_train(self) -> Generator:
        """:attr:`trained_generator` (the name the tests use)."""
        return self.trained_generator

    @property
    def discriminator(self) -> DCDiscriminator:
        """The discriminator."""
        return self.network.discriminator

    def to(self, device: str | torch.device) -> GiraffeModel:
        """Move the weights; returns self."""
        self.network.to(device)
        return self

    def eval(self) -> GiraffeModel:
        """Eval mode for every module; returns self."""
        self.network.eval()
        return self

"""The named training sets of the cross-dataset study (:mod:`inrkit.liif.study`).

Torch-free, unlike the study itself, so that ``inrkit liif study --help`` lists them without
importing torch.
"""

TRAIN_SETS = ("div2k", "b100", "urban100", "celebahq", "photos")
"""DIV2K's 800 training images, the B100 and Urban100 benchmarks, CelebA-HQ's train split (256
px) and the bundled photos; :func:`inrkit.liif.study.training_set` resolves each name."""

"""Data sets: the official LIIF layout and its downloads, CelebA-HQ, bicubic LR images, the
bundled photos, procedural scene sets, and LIIF's training-sample wrappers.
"""

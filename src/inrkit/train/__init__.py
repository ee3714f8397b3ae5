"""What both trainers share: seeding and RNG state, DDP set-up, history and curves, ``--set``
overrides, run folders. (Atomic checkpoint files are :mod:`inrkit.io.checkpoints`.)
"""

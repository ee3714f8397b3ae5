"""What both trainers share: seeding and RNG state, DDP set-up, atomic checkpoints, history."""

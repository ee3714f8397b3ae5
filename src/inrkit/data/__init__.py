"""Data sets: folder layouts, bundled photos, and the LIIF sample wrappers."""

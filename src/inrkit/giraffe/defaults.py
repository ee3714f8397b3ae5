"""The names, defaults and limits of GIRAFFE's render programs, keyframed paths and meshes.

Torch-free, so that ``inrkit giraffe ... --help`` lists them and the command line checks its
flags against them without importing torch. :mod:`inrkit.giraffe.programs`,
:mod:`~inrkit.giraffe.animation`, :mod:`~inrkit.giraffe.keyframes` and
:mod:`~inrkit.giraffe.mesh` import them from here.
"""

# ----- render programs (Sec. 4.2) -----------------------------------------------------------
PROGRAM_NAMES = (
    "object_rotation",
    "object_translation_horizontal",
    "object_translation_vertical",
    "interpolate_app",
    "interpolate_shape",
    "interpolate_app_bg",
    "object_translation_circle",
    "render_camera_elevation",
    "render_add_cars",
    "render_add_clevr10",
    "render_add_clevr6",
)
"""The official program names; :data:`inrkit.giraffe.programs.PROGRAMS` gives their plans."""
ALIASES = {"object_translation_depth": "object_translation_vertical"}
"""Other names of programs: the "vertical" translation moves the object in depth."""
DEFAULT_N_SAMPLES, DEFAULT_STEPS, DEFAULT_SEED = 15, 32, 0
"""Scenes per frame, frames per slider sweep and seed when none is given."""
MAX_SEED = 2**63 - 1
"""The largest seed (torch's generators take 64-bit signed seeds)."""
MAX_SAMPLES, MAX_STEPS = 256, 1000
RENDER_FORMATS = ("gif", "mp4", "png")
"""What a program or a path is written as: an animation and strips, or strips (frames) only."""

# ----- keyframed paths ----------------------------------------------------------------------
INTERPOLATIONS = ("linear", "smooth")
DEFAULT_FPS = 24.0
MAX_FPS = 60.0
MAX_FRAMES = 5000
"""Most frames a path may make (about 3.5 minutes at 24 fps)."""

# ----- object meshes ------------------------------------------------------------------------
MESH_FORMATS = (".ply", ".obj", ".glb")
DEFAULT_RESOLUTION = 64
"""Grid points per axis over the padded box."""
MIN_RESOLUTION, MAX_RESOLUTION = 8, 512

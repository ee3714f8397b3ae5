"""Object meshes: marching cubes on a known field, the default model's object, the files."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from testlib.giraffe import TINY, run_cli, tiny_network

import inrkit.giraffe as giraffe
from inrkit.errors import InrkitError
from inrkit.giraffe.mesh import default_threshold, density_grid, mesh_from_grid, object_mesh
from inrkit.giraffe.model import GiraffeModel

trimesh = pytest.importorskip("trimesh")
pytest.importorskip("skimage")


def sphere_density(centre: tuple[float, float, float], radius: float):
    """A solid ball: density 20 at the centre, falling linearly through 10 at the radius."""
    c = torch.tensor(centre)

    def density(p: torch.Tensor) -> torch.Tensor:
        return 10.0 + 10.0 * (1 - (p - c).norm(dim=-1) / radius)

    return density


def test_a_ball_of_density_gives_the_sphere() -> None:
    centre, radius = (0.2, -0.1, 0.05), 0.7
    grid = density_grid(sphere_density(centre, radius), 64, 1.1, chunk=1000)
    mesh = mesh_from_grid(grid, threshold=10.0, bound=1.1)
    assert mesh.is_watertight and mesh.is_winding_consistent
    assert mesh.volume == pytest.approx(4 / 3 * math.pi * radius**3, rel=0.01)
    distance = np.linalg.norm(mesh.vertices - np.array(centre), axis=1)
    assert distance.mean() == pytest.approx(radius, rel=0.002)
    assert np.abs(distance - radius).max() < 0.01  # within a third of a grid step (0.035)
    assert np.allclose(mesh.centroid, centre, atol=1e-3)  # axes: x, y, z as given


def test_a_field_dense_up_to_the_border_is_closed_by_it() -> None:
    grid = np.full((16, 16, 16), 50.0, dtype=np.float32)  # the whole padded box is solid
    mesh = mesh_from_grid(grid, threshold=10.0, bound=1.1)
    assert mesh.is_watertight and mesh.volume == pytest.approx(2.2**3, rel=0.05)
    assert mesh_from_grid(np.zeros((8, 8, 8), np.float32), 10.0, 1.1) is None


@pytest.fixture(scope="module")
def default_model() -> GiraffeModel:
    return giraffe.load("default32")


def test_default_models_car_is_a_closed_deterministic_mesh(default_model: GiraffeModel) -> None:
    first = object_mesh(default_model, seed=3, resolution=48)
    mesh = first.mesh
    assert first.threshold == pytest.approx(math.log(2) / (5.5 / 23))
    assert len(mesh.vertices) > 1000 and len(mesh.faces) > 2000
    assert mesh.is_watertight and mesh.volume > 0
    assert np.all(np.abs(mesh.vertices) <= 1.1 + 1e-5)  # in the padded box's coordinates
    again = object_mesh(default_model, seed=3, resolution=48, chunk=777)
    assert np.array_equal(mesh.vertices, again.mesh.vertices)
    assert np.array_equal(mesh.faces, again.mesh.faces)
    other = object_mesh(default_model, seed=4, resolution=48).mesh
    assert len(other.vertices) != len(mesh.vertices) or not np.array_equal(
        other.vertices, mesh.vertices
    )
    # A higher threshold keeps a part of the lower one's solid.
    inner = object_mesh(default_model, seed=3, resolution=48, threshold=6.0).mesh
    assert 0 < inner.volume < mesh.volume


@pytest.mark.parametrize("suffix", [".ply", ".obj", ".glb"])
def test_write_and_read_back(default_model: GiraffeModel, tmp_path: Path, suffix: str) -> None:
    mesh = object_mesh(default_model, seed=1, resolution=24).mesh
    path = giraffe.write_mesh(mesh, tmp_path / f"car{suffix}")
    back = trimesh.load(path, force="mesh", process=False)
    assert len(back.faces) == len(mesh.faces)
    assert np.allclose(back.bounds, mesh.bounds, atol=1e-5)


def test_bad_arguments_are_one_line_errors() -> None:
    model = GiraffeModel(network=tiny_network(), config=TINY)
    cases = [
        ({"object_index": 1}, "object 1: the model has 1 object(s), numbered 0"),
        ({"resolution": 4}, "resolution must be a whole number from 8 to 512"),
        ({"threshold": -1.0}, "threshold must be a density > 0"),
        ({"threshold": float("nan")}, "threshold must be a density > 0"),
        ({"seed": -2}, "seed must be a whole number"),
        ({"threshold": 1e9, "resolution": 8}, "no density above 1e+09 in its box"),
    ]
    for kwargs, message in cases:
        with pytest.raises(InrkitError, match=re.escape(message)):
            object_mesh(model, **kwargs)
    assert default_threshold(model) == pytest.approx(math.log(2) / (5.5 / 11))


def test_cli_writes_the_mesh(tmp_path: Path, capsys) -> None:
    out = tmp_path / "car.obj"
    code, error = run_cli("giraffe", "mesh", "--out", str(out), "--resolution", "16")
    assert (code, error) == (0, "")
    assert "watertight, threshold 14.6, resolution 16" in capsys.readouterr().out
    assert trimesh.load(out, force="mesh").is_watertight
    code, error = run_cli("giraffe", "mesh", "--out", str(out))
    assert error == f"inrkit: error: {out}: already exists (use --overwrite)"
    code, error = run_cli("giraffe", "mesh", "--out", str(tmp_path / "car.stl"))
    assert "car.stl: unknown mesh format '.stl' (known: .ply, .obj, .glb)" in error

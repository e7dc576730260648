"""Cryptographic primitives. You should only use these if you know what you are doing.

Nothing here knows about margin, portfolios or markets; the domain layers build on these
names only.

The modules are attributes of this package, imported on first use, so after `import
zkmargin` the backend switch is `zkmargin.hazmat.groups.use("py_ecc")`.
"""

from importlib import import_module as _import_module
from pkgutil import iter_modules as _iter_modules
from types import ModuleType as _ModuleType


def _modules() -> set[str]:
    return {module.name for module in _iter_modules(__path__)}


def __getattr__(name: str) -> _ModuleType:
    if name in _modules():
        return _import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*_modules(), *(name for name in globals() if name.startswith("__"))})

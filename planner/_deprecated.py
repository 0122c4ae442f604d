"""Old import paths kept for one release (0.1): modules that forward to their new home.

``planner.solve``, ``planner.interpret`` and ``planner.frontier`` were both a module and the
function of the same name. They now live at ``planner.solver``, ``planner.interpreter`` and
``planner.frontiers``; the old module paths still import, forward every name with a
:class:`DeprecationWarning`, and stay callable, so ``planner.solve(program)`` means the function
whether or not the old module was imported first.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import Any


class ForwardingModule(types.ModuleType):
    """A deprecated module: attribute access warns and forwards; calling it calls ``function``."""

    _new: str
    _function: str

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        new = object.__getattribute__(self, "_new")
        warnings.warn(
            f"{self.__name__} is deprecated; import {name} from {new} (or from planner) instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(new), name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        new = object.__getattribute__(self, "_new")
        function = object.__getattribute__(self, "_function")
        return getattr(importlib.import_module(new), function)(*args, **kwargs)


def forward(module_name: str, new: str, function: str) -> None:
    """Turn the module ``module_name`` into a :class:`ForwardingModule` to ``new``."""
    module = sys.modules[module_name]
    module.__class__ = ForwardingModule
    module._new = new  # type: ignore[attr-defined]
    module._function = function  # type: ignore[attr-defined]

"""Named permissions: each is one predicate, checked before any business code runs."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from trading.errors import DomainError, NotAllowed


class NotAuthenticated(DomainError):
    status = 401
    code = "unauthenticated"


_PERMISSIONS: dict[str, Callable[[Any, Any], bool]] = {}


def permission(name: str):
    """Register `fn(user, obj) -> bool` as the meaning of permission `name`."""

    def register(fn):
        if name in _PERMISSIONS:
            raise ValueError(f"permission {name} defined twice")
        _PERMISSIONS[name] = fn
        return fn

    return register


def can(user, name: str, obj: Any = None) -> bool:
    return bool(_PERMISSIONS[name](user, obj))


def require(name: str, obj: Any = None, user=None) -> None:
    """Raise 401 for anonymous callers and 403 for the others when `name` is not granted."""
    user = user if user is not None else current_user
    if can(user, name, obj):
        return
    if not getattr(user, "is_authenticated", False):
        raise NotAuthenticated(_("Please log in to continue."))
    error = NotAllowed(_("Your roles do not allow this here."))
    error.permission = name  # named in the JSON body for client developers, not in the sentence
    raise error


def requires(name: str, load: Callable[..., Any] | None = None):
    """View decorator: `load(**view_args)` finds the object; the permission is checked first."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            obj = load(**kwargs) if load else None
            require(name, obj)
            if load:
                kwargs["obj"] = obj
            return view(*args, **kwargs)

        wrapper.permission = name  # the route matrix test reads this
        return wrapper

    return decorate


def names() -> list[str]:
    return sorted(_PERMISSIONS)


def wants_json() -> bool:
    return request.path.startswith("/api/")

"""The base class of every result and model: a read-only view over a JSON object."""


def _wrap(kind, value):
    """Wraps `value` (plain JSON) according to `kind`: a Model class, or [kind] for a list."""
    if value is None:
        return None
    if type(kind) is list:
        if type(value) is not list:
            return value
        inner = kind[0]
        return [_wrap(inner, item) for item in value]
    if type(value) is not dict:
        return value
    obj = object.__new__(kind)
    object.__setattr__(obj, "_data", value)
    return obj


def _plain(value):
    """A deep copy of `value` as plain JSON-like Python values (models become dicts)."""
    if isinstance(value, Model):
        return _plain(value._data)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Model:
    """A result or a model of the CSMS API.

    Fields are attributes (``result.secret.name``); a field the response did not carry is
    ``None``. ``to_dict()`` gives the object under its wire names, secret values included.
    ``repr()`` and ``str()`` show every field except secret values (``secret_string``,
    ``secret_binary``, ``password``, ...), which appear as ``'***'``. Two objects are equal
    when they are of the same class and hold the same data.

    Models can also be made by hand for inputs: ``csms.TagItem(key="env", value="prod")``.
    """

    __slots__ = ("_data",)
    _fields = ()
    _sensitive = frozenset()
    _nested = {}

    def __init__(self, **fields):
        known = self._fields
        for name in fields:
            if name not in known:
                raise TypeError(
                    f"{type(self).__name__} has no field {name!r}; its fields are {', '.join(known)}"
                )
        object.__setattr__(self, "_data", {k: _plain(v) for k, v in fields.items() if v is not None})

    @classmethod
    def from_dict(cls, data):
        """The object holding `data` (a dict under wire names), which it copies."""
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__}.from_dict takes a dict, not {type(data).__name__}")
        return _wrap(cls, _plain(data))

    def __getattr__(self, name):
        if name[:1] == "_":
            raise AttributeError(name)
        data = self._data
        if name in data:
            kind = self._nested.get(name)
            value = data[name]
            return value if kind is None else _wrap(kind, value)
        if name in self._fields:
            return None
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} objects are read-only")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} objects are read-only")

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._data == other._data

    __hash__ = None

    def __repr__(self):
        parts = []
        data = self._data
        for name in self._fields:
            if name in data:
                shown = "'***'" if name in self._sensitive else repr(getattr(self, name))
                parts.append(f"{name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    __str__ = __repr__

    def __dir__(self):
        return sorted(set(object.__dir__(self)) | set(self._fields))

    def __reduce__(self):
        return (_wrap, (type(self), self._data))

    def to_dict(self):
        """The object as a dict under wire names (a copy; secret values included)."""
        return _plain(self._data)

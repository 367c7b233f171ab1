"""abtest.data: from where the user's data lives to a :class:`Summary`."""

from abtest.data.summary import Summary

__all__ = ["Summary"]

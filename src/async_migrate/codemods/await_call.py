"""AM002 await-call: a call to a function converted in the same run is awaited.

return load_user(user_id)   ->   return await load_user(user_id)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ..plan import AwaitCall

if TYPE_CHECKING:
    from ..swaps.base import Rewriting


def await_call(call: cst.Call, edit: AwaitCall, rewriting: Rewriting) -> cst.Await:
    return cst.Await(expression=call)

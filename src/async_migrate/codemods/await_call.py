"""AM002 await-call: a call to a function converted in the same run is awaited.

return load_user(user_id)   ->   return await load_user(user_id)
"""

from __future__ import annotations

import libcst as cst


def await_call(call: cst.Call) -> cst.Await:
    return cst.Await(expression=call)

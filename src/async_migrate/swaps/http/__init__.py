"""HTTP swap (AM105, AM106): blocking requests/httpx calls become awaited requests of an async
client (a ``Target``: httpx, httpx2, aiohttp) where that is exact, else they stay as they are
and the threadpool swap moves them.

- ``httpmap``: what each argument, response read and exception means in each client;
- ``calls``: the index side, one call and its function judged on their own (``HttpFact``);
- ``planner``: the project-wide side (every ``except`` clause that may catch a call's errors);
- ``targets``: the async clients, with their tables and codemods;
- ``edits``, ``httpx_codemods``, ``aiohttp_codemods``, ``codemods``: what is rewritten, and how;
- ``swap``: the ``Swap`` registered for all of it.
"""

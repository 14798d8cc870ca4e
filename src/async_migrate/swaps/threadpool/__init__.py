"""Threadpool swap (AM102, AM103): blocking calls and ``with`` blocks with no exact async
equivalent run in the threadpool; the catalog's other verdicts (safe, must not move, unknown)
are its answers too, so it is asked last."""

"""Sync SQLAlchemy / SQLModel sessions -> ``AsyncSession`` (``--db-session async``).

The engine, the session dependency and every function that uses its sessions form one group:
all of it becomes async, or none of it does (a half-migrated group would hand an
``AsyncSession`` to sync code). ``names`` says which calls belong to the swap, ``drivers`` maps
database URLs to async drivers, ``recognise`` finds the group in the project, ``plan`` decides
it, ``edits`` and ``codemods`` carry it out.
"""

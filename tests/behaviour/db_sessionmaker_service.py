"""A SQLAlchemy ORM service in the shape of FastAPI's old SQL tutorial: ``sessionmaker``, a
``yield`` dependency closing its session in ``finally``, helpers given the session. Migrated with
``--db-session async`` by ``tests/test_behaviour_db_session.py``."""

import os

from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy import ForeignKey, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

engine = create_engine(f"sqlite:///{os.environ['DB_SESSION_DB']}", connect_args={"check_same_thread": False})
SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(unique=True)


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


def create_tables():
    Base.metadata.create_all(bind=engine)


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user


app = FastAPI(on_startup=[create_tables])


@app.post("/users/")
def create_user(email: str, db: Session = Depends(get_db)):
    user = User(email=email)
    db.add(user)
    db.commit()  # no refresh: reading user.id reloads it (the migrated code refreshes it first)
    return {"id": user.id, "email": user.email}


@app.post("/users/{user_id}/items/")
def create_item(user_id: int, title: str, db: Session = Depends(get_db)):
    owner = get_user(db, user_id)
    item = Item(title=title, owner_id=owner.id)
    db.add(item)
    db.commit()
    db.refresh(item)
    return {"id": item.id, "title": item.title, "owner_id": item.owner_id}


@app.get("/users/{user_id}/items/")
def read_items(user_id: int, db: Session = Depends(get_db)):
    owner = get_user(db, user_id)
    items = db.scalars(select(Item).where(Item.owner_id == owner.id).order_by(Item.id)).all()
    return [{"id": item.id, "title": item.title} for item in items]


@app.delete("/items/{item_id}")
def delete_item(item_id: int, db: Session = Depends(get_db)):
    item = db.get(Item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    db.delete(item)
    db.commit()
    return {"deleted": item_id}

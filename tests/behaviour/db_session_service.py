"""A SQLModel CRUD service with a sync session dependency, the shape of FastAPI's and SQLModel's
tutorials: migrated with ``--db-session async`` by ``tests/test_behaviour_db_session.py``."""

import os
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException
from sqlmodel import Field, Session, SQLModel, create_engine, select


class Hero(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    age: int | None = None


class HeroUpdate(SQLModel):
    name: str | None = None
    age: int | None = None


engine = create_engine(f"sqlite:///{os.environ['DB_SESSION_DB']}", connect_args={"check_same_thread": False})


def create_db_and_tables():
    SQLModel.metadata.create_all(engine)


def get_session():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
app = FastAPI()


@app.on_event("startup")
def on_startup():
    create_db_and_tables()


def load_hero(session: Session, hero_id: int) -> Hero:
    hero = session.get(Hero, hero_id)
    if not hero:
        raise HTTPException(status_code=404, detail="Hero not found")
    return hero


@app.post("/heroes/")
def create_hero(hero: Hero, session: SessionDep) -> Hero:
    session.add(hero)
    session.commit()
    session.refresh(hero)
    return hero


@app.get("/heroes/")
def read_heroes(session: SessionDep, offset: int = 0, limit: int = 100) -> list[Hero]:
    return session.exec(select(Hero).order_by(Hero.id).offset(offset).limit(limit)).all()


@app.get("/heroes/{hero_id}")
def read_hero(hero_id: int, session: SessionDep) -> Hero:
    return load_hero(session, hero_id)


@app.patch("/heroes/{hero_id}")
def update_hero(hero_id: int, update: HeroUpdate, session: SessionDep) -> Hero:
    hero = load_hero(session, hero_id)
    hero.sqlmodel_update(update.model_dump(exclude_unset=True))
    session.add(hero)
    session.commit()
    session.refresh(hero)
    return hero


@app.get("/oldest")
def oldest(session: SessionDep):
    aged = session.exec(select(Hero).where(Hero.age != None).order_by(Hero.age)).all()  # noqa: E711
    rusty = session.exec(select(Hero).where(Hero.name == "Rusty-Man")).first()
    return {"name": aged[-1].name if aged else None, "rusty": rusty.id if rusty else None}


@app.delete("/heroes/{hero_id}")
def delete_hero(hero_id: int, session: SessionDep):
    session.delete(load_hero(session, hero_id))
    session.commit()
    return {"ok": True}

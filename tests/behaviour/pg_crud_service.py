"""A CRUD service on PostgreSQL written as SQLModel's FastAPI tutorial writes one: a sync Session
from a yield dependency; heroes created, listed, read, updated and deleted.

DATABASE_URL names the database (``postgresql+psycopg2://...`` before migration), DB_POOL_SIZE the
engine's pool, which the benchmark sets the same for every version it serves.
``GET /heroes/{id}/slow`` reads with a query that also waits in the server (``pg_sleep``, once
per query: an InitPlan), the endpoint bench/db_crud.py drives. The update route returns its
instance after ``commit()`` without refreshing it: the sync session reloads the expired
attributes lazily when the response is built.
"""

import os
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import func
from sqlmodel import Field, Session, SQLModel, create_engine, select


class HeroBase(SQLModel):
    name: str = Field(index=True)
    secret_name: str
    age: int | None = Field(default=None, index=True)


class Hero(HeroBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class HeroCreate(HeroBase):
    pass


class HeroPublic(HeroBase):
    id: int


class HeroUpdate(SQLModel):
    name: str | None = None
    secret_name: str | None = None
    age: int | None = None


engine = create_engine(
    os.environ["DATABASE_URL"], pool_size=int(os.environ.get("DB_POOL_SIZE", "5")), max_overflow=0
)


def get_session():
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI()


@app.on_event("startup")
def on_startup():
    SQLModel.metadata.create_all(engine)


@app.post("/heroes/", response_model=HeroPublic)
def create_hero(hero: HeroCreate, session: SessionDep):
    db_hero = Hero.model_validate(hero)
    session.add(db_hero)
    session.commit()
    session.refresh(db_hero)
    return db_hero


@app.get("/heroes/", response_model=list[HeroPublic])
def read_heroes(session: SessionDep, offset: int = 0, limit: Annotated[int, Query(le=100)] = 100):
    return session.exec(select(Hero).order_by(Hero.id).offset(offset).limit(limit)).all()


@app.get("/heroes/{hero_id}", response_model=HeroPublic)
def read_hero(hero_id: int, session: SessionDep):
    hero = session.get(Hero, hero_id)
    if not hero:
        raise HTTPException(status_code=404, detail="Hero not found")
    return hero


@app.get("/heroes/{hero_id}/slow", response_model=HeroPublic)
def read_hero_slowly(hero_id: int, session: SessionDep, delay: Annotated[float, Query(ge=0, le=1)] = 0.05):
    waited = select(func.pg_sleep(delay)).scalar_subquery().is_not(None)
    hero = session.exec(select(Hero).where(Hero.id == hero_id, waited)).first()
    if not hero:
        raise HTTPException(status_code=404, detail="Hero not found")
    return hero


@app.patch("/heroes/{hero_id}", response_model=HeroPublic)
def update_hero(hero_id: int, hero: HeroUpdate, session: SessionDep):
    db_hero = session.get(Hero, hero_id)
    if not db_hero:
        raise HTTPException(status_code=404, detail="Hero not found")
    db_hero.sqlmodel_update(hero.model_dump(exclude_unset=True))
    session.add(db_hero)
    session.commit()
    session.refresh(db_hero)
    return db_hero


@app.delete("/heroes/{hero_id}")
def delete_hero(hero_id: int, session: SessionDep):
    hero = session.get(Hero, hero_id)
    if not hero:
        raise HTTPException(status_code=404, detail="Hero not found")
    session.delete(hero)
    session.commit()
    return {"ok": True, "deleted": hero_id}

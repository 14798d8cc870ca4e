"""A service on a real SQLAlchemy session (sqlite file named by ORM_DB): dependencies and routes
that read relationships, which load lazily, and routes that don't."""

import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

engine = create_engine(f"sqlite:///{os.environ['ORM_DB']}", connect_args={"check_same_thread": False})


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))

    def role_in(self, organization: str) -> str | None:
        # ``memberships`` is made by the backref below: the read loads it from the database
        for membership in self.memberships:
            if membership.organization == organization:
                return membership.role
        return None


class Membership(Base):
    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    organization: Mapped[str] = mapped_column(String(30))
    role: Mapped[str] = mapped_column(String(30))
    user = relationship(User, backref="memberships")


class MembershipRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    organization: str
    role: str


class UserName(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    name: str


class UserWithMemberships(UserName):
    memberships: list[MembershipRead]


def create_data() -> None:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        ada = User(id=1, name="ada")
        session.add(ada)
        session.add(Membership(user=ada, organization="acme", role="owner"))
        session.add(Membership(user=ada, organization="globex", role="member"))
        session.commit()


app = FastAPI()


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def get_current_user(session: Annotated[Session, Depends(get_session)]) -> User:
    return session.get(User, 1)


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_role(current_user: CurrentUser, organization: str = "acme") -> str | None:
    return current_user.role_in(organization)


@app.get("/role")
def role(role: Annotated[str | None, Depends(get_role)]):
    return {"role": role}


@app.get("/organizations")
def organizations(current_user: CurrentUser):
    return sorted(membership.organization for membership in current_user.memberships)


@app.get("/me", response_model=UserWithMemberships)
def me(current_user: CurrentUser):
    return current_user


@app.get("/me/name", response_model=UserName)
def my_name(current_user: CurrentUser):
    return current_user

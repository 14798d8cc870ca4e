"""A service whose entry points are written every way item 6 names: a route on an APIRouter
subclass, routes registered by a class and by a setup function, a route defined inside a setup
function (reading its closure), a lifespan, sync startup and shutdown handlers. Each blocks; after migration none may block the loop."""

import os
import time
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI

DATA = Path(os.environ.get("ENTRY_POINTS_DATA", "."))
events = []


@asynccontextmanager
async def lifespan(app: FastAPI):
    time.sleep(0.01)
    events.append("lifespan started")
    yield
    events.append("lifespan ended")


def current_user():
    return "ann"


class UserAPIRouter(APIRouter):
    def __init__(self, **kwargs):
        super().__init__(dependencies=[Depends(current_user)], **kwargs)


users = UserAPIRouter(prefix="/users")


@users.get("/pause")
def pause(delay: float = 0.01):
    time.sleep(delay)
    return {"paused": delay}


class ReportApi:
    def __init__(self, app: FastAPI):
        self.router = APIRouter(prefix="/reports")
        self.router.add_api_route("/latest", self.latest)
        app.include_router(self.router)

    def latest(self):
        time.sleep(0.01)
        return {"latest": (DATA / "report.txt").read_text()}


def setup(app: FastAPI) -> None:
    app.add_api_route("/events", list_events)


def list_events():
    time.sleep(0.01)
    return {"events": list(events)}


def add_status(app: FastAPI, name: str) -> None:
    started = time.monotonic()

    @app.get("/status")
    def status():
        time.sleep(0.01)
        return {"name": name, "up": time.monotonic() >= started}


app = FastAPI(lifespan=lifespan)
app.include_router(users)
ReportApi(app)
setup(app)
add_status(app, "entry points")


legacy = FastAPI()


@legacy.on_event("startup")
def warm():
    time.sleep(0.01)
    (DATA / "warm.txt").write_text("warm")


def close():
    (DATA / "closed.txt").write_text("closed")


legacy.router.add_event_handler("shutdown", close)


@legacy.get("/warm")
def read_warm():
    return {"warm": (DATA / "warm.txt").read_text()}

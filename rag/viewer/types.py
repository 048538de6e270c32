"""What the source viewer gives a surface: a rendered PDF page with highlight boxes, or a passage in its surrounding
text. Frozen pydantic models like the engine's public types (rag/types.py); in JSON the PNG travels as base64."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")


class Box(_View):
    """A highlight rectangle in fractions (0..1) of the page image, so it can be placed in % over the image at any
    display size: left edge, top edge, right edge, bottom edge."""
    x0: float = Field(ge=0.0, le=1.0)
    top: float = Field(ge=0.0, le=1.0)
    x1: float = Field(ge=0.0, le=1.0)
    bottom: float = Field(ge=0.0, le=1.0)


class PageView(_View):
    """One PDF page rendered as PNG, with boxes over the cited passage's words (one box per line of it)."""
    kind: Literal["page"] = "page"
    file: str
    page: int = Field(description="1-based page shown")
    pages: int = Field(description="pages in the file")
    png: bytes
    width: int = Field(description="PNG width in pixels")
    height: int = Field(description="PNG height in pixels")
    boxes: list[Box] = Field(default_factory=list)
    found: bool = Field(description="the passage was located on this page")


class TextView(_View):
    """The cited passage in its surrounding text (about 1,200 characters each side, cut at words, "…" where cut),
    and where it is: heading, slide, rows or page."""
    kind: Literal["text"] = "text"
    file: str
    before: str = ""
    passage: str = ""
    after: str = ""
    location: str = ""
    found: bool

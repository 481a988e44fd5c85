"""A GPTConfig from a weights file's fields (our .npz's JSON, a Hugging Face config.json), with the checks
GPTConfig does phrased for the user and the file named in the message."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from glviz.errors import GlvizError
from glviz.model.config import SIZE_FIELDS, GPTConfig


def config_from_dict(data: dict, source: Path) -> GPTConfig:
    """The config our .npz stores as JSON: its size fields required, fields GPTConfig lacks ignored."""
    for field in SIZE_FIELDS:
        if field not in data:
            raise GlvizError("error.config.field_missing", file="config", field=field, source=source)
    known = {f.name for f in dataclasses.fields(GPTConfig)}
    return make_config(source, **{k: data[k] for k in data if k in known})


def make_config(source: Path, **fields: object) -> GPTConfig:
    """GPTConfig(**fields), with the checks GPTConfig does and the file named in the message."""
    for field in SIZE_FIELDS:
        value = fields.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise GlvizError("error.config.field_positive", file="config", field=field, value=repr(value),
                             source=source)
    if fields["n_embd"] % fields["n_head"]:  # type: ignore[operator]
        raise GlvizError("error.config.field_divisible", n_embd=fields["n_embd"], n_head=fields["n_head"],
                         source=source)
    eps = fields.get("layer_norm_eps", 1e-5)
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not eps > 0 or not math.isfinite(eps):
        raise GlvizError("error.config.field_number", file="config", field="layer_norm_eps", value=repr(eps),
                         source=source)
    if not isinstance(fields.get("tied_head", True), bool):
        raise GlvizError("error.config.field_bool", file="config", field="tied_head",
                         value=repr(fields["tied_head"]), source=source)
    if not isinstance(fields.get("name", ""), str):
        raise GlvizError("error.config.field_string", file="config", field="name", value=repr(fields["name"]),
                         source=source)
    try:
        return GPTConfig(**fields)  # type: ignore[arg-type]
    except GlvizError as exc:
        raise GlvizError("error.config.in_source", error=exc, source=source) from None

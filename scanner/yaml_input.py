"""YAML as claimscan reads it from users (clinic lists, rule files): safe types only, and
no aliases. An alias repeats a node; nested, a few hundred bytes of them expand to
gigabytes (the "billion laughs"), and neither a clinic list nor a rule needs one."""

from __future__ import annotations

from typing import Any

import yaml


class NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*{event.anchor}) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


def compose(text: str) -> Any:
    """The document's node tree (with line numbers)."""
    return yaml.compose(text, Loader=NoAliasLoader)


def load(text: str) -> Any:
    return yaml.load(text, Loader=NoAliasLoader)

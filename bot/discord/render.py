"""Renders the core's replies as discord.py message arguments: literal text, buttons, selects.

Pure. The views only carry components: their items have no callbacks. Every component
interaction is turned back into core actions by `actions_of` (the front-end reads them in
`on_interaction`), so a button keeps working as long as the core accepts its action, long
after the view's timeout has dropped it from discord.py's memory. A reply made for another
chat than the one it is shown in carries that chat in its custom ids (bot/discord/chats.py),
and a question answered by typing gets the button that opens a modal (bot/discord/typed.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NotRequired, TypedDict, TypeVar

from discord import ActionRow, AllowedMentions, ButtonStyle, Component, SelectMenu, SelectOption
from discord.ui import Button, Item, Select, View

from bot.core.replies import Choice, ChoiceRow, LinkChoice, Reply
from bot.discord.chats import split_chat, with_chat
from bot.discord.commands import HERE
from bot.discord.typed import TYPE, typing_choice
from bot.discord.wording import (
    PARAGRAPH,
    cap_content,
    cut_label,
    escape_content,
    translated,
)
from locales import translate

# Discord's limits (https://discord.com/developers/docs/components/reference).
MAX_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_SELECT_OPTIONS = 25
MAX_BUTTON_LABEL = 80
MAX_OPTION_LABEL = 100
MAX_PLACEHOLDER = 150
# Component types in interaction data.
BUTTON = 2
STRING_SELECT = 3
# Custom ids of the selects that stand in for choices; no core action has these prefixes.
PICK = "pick:"
TOGGLE = "toggle:"
# The wizard offers each event of an ABI as an on/off choice (bot/core/wizard_views.py);
# on Discord they become one multi-select whose preselected options are those on.
TOGGLE_KEYS = {"bot.choice.event_on": True, "bot.choice.event_off": False}
# discord.py forgets a view after this; the components themselves never expire.
VIEW_TIMEOUT_S = 180.0
_T = TypeVar("_T")


class SendArguments(TypedDict):
    """Keyword arguments of InteractionResponse.send_message, Webhook.send (followups)."""

    content: str
    ephemeral: bool
    allowed_mentions: AllowedMentions
    view: NotRequired[View]


class EditArguments(TypedDict):
    """Keyword arguments of InteractionResponse.edit_message (a message keeps its
    visibility, and a view of None takes the old components away)."""

    content: str
    allowed_mentions: AllowedMentions
    view: View | None


@dataclass(frozen=True, slots=True)
class Rendered:
    content: str
    view: View | None
    ephemeral: bool

    def send_arguments(self) -> SendArguments:
        arguments = SendArguments(
            content=self.content, ephemeral=self.ephemeral, allowed_mentions=no_mentions()
        )
        if self.view is not None:
            arguments["view"] = self.view
        return arguments

    def edit_arguments(self) -> EditArguments:
        return EditArguments(content=self.content, allowed_mentions=no_mentions(), view=self.view)


def no_mentions() -> AllowedMentions:
    """Nobody is pinged by what the bot says, whatever a parameter contains."""
    return AllowedMentions.none()


def render_reply(reply: Reply, in_guild: bool, chat: str = HERE) -> Rendered:
    """The reply in its language with its choices as components, acting for `chat` (HERE,
    DM or a channel's id: bot/discord/chats.py), and a button to type the answer when
    the reply asks for one.

    In a server every reply concerns only the person who asked (it may show a webhook's
    secret, or an admin's answer to a member), so it is ephemeral; the exception is a test
    notification, which an admin posts to the channel on purpose. In a DM nobody else
    sees anything, so nothing needs to be ephemeral there.
    """
    ephemeral = in_guild and reply.sample is None
    typing = typing_choice(reply)
    rows = reply.choices if typing is None else ((typing,), *reply.choices)
    view = render_view(reply.language, rows)
    if view is not None:
        for item in view.children:
            if isinstance(item, Button | Select) and item.custom_id is not None:
                item.custom_id = with_chat(item.custom_id, chat)
    return Rendered(render_content(reply), view, ephemeral)


# --- text -----------------------------------------------------------------------------------


def render_content(reply: Reply) -> str:
    """The text and each extra paragraph, shown literally, within Discord's limit."""
    paragraphs = [translated(reply.language, item) for item in (reply.text, *reply.extra)]
    return cap_content(escape_content(PARAGRAPH.join(paragraphs)))


# --- components -----------------------------------------------------------------------------


def render_view(language: str, rows: tuple[ChoiceRow, ...]) -> View | None:
    """Choices as buttons, row for row; event toggles as a multi-select; and when the rest
    does not fit in Discord's five rows of five buttons, the long list as a select above
    the reply's way out (cancel, back), which stays a button."""
    toggles = [offered for row in rows for offered in row if is_toggle(offered)]
    others = [row for row in (_without_toggles(row) for row in rows) if row]
    selects = _toggle_selects(language, toggles)
    layout: list[list[Item[View]]] = [[select] for select in selects]
    layout += _layout_rest(language, others, MAX_ROWS - len(layout))
    view = View(timeout=VIEW_TIMEOUT_S)
    used: set[str] = set()
    for index, row in enumerate(layout[:MAX_ROWS]):
        for item in row:
            custom_id = getattr(item, "custom_id", None)
            if isinstance(custom_id, str):
                if custom_id in used:
                    continue  # Discord refuses a message whose components share a custom id
                used.add(custom_id)
            item.row = index
            view.add_item(item)
    return view if view.children else None


def is_toggle(offered: Choice | LinkChoice) -> bool:
    return isinstance(offered, Choice) and offered.label.key in TOGGLE_KEYS


def _without_toggles(row: ChoiceRow) -> ChoiceRow:
    return tuple(offered for offered in row if not is_toggle(offered))


def _fits_as_buttons(rows: Sequence[ChoiceRow], room: int) -> bool:
    return len(rows) <= room and all(len(row) <= MAX_ROW_BUTTONS for row in rows)


def _layout_rest(language: str, rows: list[ChoiceRow], room: int) -> list[list[Item[View]]]:
    if room <= 0:
        return []
    if _fits_as_buttons(rows, room):
        return [[button(language, offered) for offered in row] for row in rows]
    tail = way_out(rows, room - 1)
    head = rows[: len(rows) - len(tail)]
    picks = [offered for row in head for offered in row if isinstance(offered, Choice)]
    links = [offered for row in head for offered in row if isinstance(offered, LinkChoice)]
    selects = _pick_selects(language, picks, room - len(tail))
    link_rows = _chunks(links, MAX_ROW_BUTTONS)[: room - len(tail) - len(selects)]
    layout: list[list[Item[View]]] = [[select] for select in selects]
    layout += [[button(language, link) for link in row] for row in link_rows]
    layout += [[button(language, offered) for offered in row] for row in tail]
    return layout


def way_out(rows: Sequence[ChoiceRow], room: int) -> list[ChoiceRow]:
    """The last rows that are not more of the list before them (Cancel after the chains,
    Back after the subscriptions), at most `room` of them, each fitting as buttons."""
    kept: list[ChoiceRow] = []
    for index in range(len(rows) - 1, 0, -1):
        row, before = rows[index], rows[index - 1]
        if len(kept) >= room or len(row) > MAX_ROW_BUTTONS or _keys(row) & _keys(before):
            break
        kept.insert(0, row)
    return kept


def _keys(row: ChoiceRow) -> set[str]:
    return {offered.label.key for offered in row}


def _chunks(items: Sequence[_T], size: int) -> list[list[_T]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def button(language: str, offered: Choice | LinkChoice) -> Button[View]:
    """A choice's button; the one that opens a modal to type an answer stands out."""
    label = cut_label(translated(language, offered.label), MAX_BUTTON_LABEL)
    if isinstance(offered, LinkChoice):
        return Button(label=label, url=offered.url)
    style = ButtonStyle.primary if offered.action.startswith(TYPE) else ButtonStyle.secondary
    return Button(label=label, custom_id=offered.action, style=style)


def _option(language: str, offered: Choice, default: bool = False) -> SelectOption:
    name = offered.label.params.get("name") if is_toggle(offered) else None
    label = str(name) if name is not None else translated(language, offered.label)
    return SelectOption(
        label=cut_label(label, MAX_OPTION_LABEL), value=offered.action, default=default
    )


def _unique(choices: Sequence[Choice]) -> list[Choice]:
    """One option per action: Discord refuses a select whose options share a value."""
    seen: dict[str, Choice] = {}
    for offered in choices:
        seen.setdefault(offered.action, offered)
    return list(seen.values())


def _pick_selects(language: str, picks: Sequence[Choice], room: int) -> list[Select[View]]:
    """Selects of one choice each; what does not fit in `room` rows is left out (the core
    offers at most 50 entries, which two selects hold)."""
    placeholder = cut_label(translate(language, "dc.select.pick"), MAX_PLACEHOLDER)
    chunks = _chunks(_unique(picks), MAX_SELECT_OPTIONS)[: max(room, 0)]
    return [
        Select(
            custom_id=f"{PICK}{index}",
            placeholder=placeholder,
            options=[_option(language, offered) for offered in chunk],
        )
        for index, chunk in enumerate(chunks)
    ]


def _toggle_selects(language: str, toggles: Sequence[Choice | LinkChoice]) -> list[Select[View]]:
    """The events of an ABI, those chosen preselected; several selects for more than 25."""
    choices = _unique([offered for offered in toggles if isinstance(offered, Choice)])
    placeholder = cut_label(translate(language, "dc.select.events"), MAX_PLACEHOLDER)
    return [
        Select(
            custom_id=f"{TOGGLE}{index}",
            placeholder=placeholder,
            min_values=0,
            max_values=len(chunk),
            options=[
                _option(language, offered, TOGGLE_KEYS[offered.label.key]) for offered in chunk
            ],
        )
        for index, chunk in enumerate(_chunks(choices, MAX_SELECT_OPTIONS)[:MAX_ROWS])
    ]


# --- interactions back to the core ------------------------------------------------------------


def actions_of(
    data: Mapping[str, object], message_components: Sequence[Component] = ()
) -> tuple[str, ...]:
    """The core actions a component interaction stands for, in order; none for anything
    this module did not render (the core answers forged actions itself).

    `data` is the interaction's data (`custom_id`, `component_type`, `values`). A button is
    its action (after the chat it acts for, if any; a typing button stands for none: it
    opens a modal); a pick is the chosen option's action. The events select says which
    events are chosen now, the core takes toggles: the toggles are the options whose state
    changed from the preselection of the message the select is on (`message_components`,
    the interaction message's components).
    """
    custom_id, kind = data.get("custom_id"), data.get("component_type")
    if not isinstance(custom_id, str) or not custom_id:
        return ()
    _, inner = split_chat(custom_id)
    if kind == BUTTON:
        return () if not inner or inner.startswith(TYPE) else (inner,)
    if kind != STRING_SELECT:
        return ()
    raw = data.get("values")
    values = [value for value in raw if isinstance(value, str)] if isinstance(raw, list) else []
    if inner.startswith(PICK):
        return tuple(values[:1])
    if inner.startswith(TOGGLE):
        return _toggled(custom_id, frozenset(values), message_components)
    return ()


def _toggled(
    custom_id: str, chosen: frozenset[str], components: Sequence[Component]
) -> tuple[str, ...]:
    select = _find_select(components, custom_id)
    if select is None:
        return ()  # without the preselection a toggle could undo a choice
    return tuple(
        option.value for option in select.options if (option.value in chosen) != option.default
    )


def _find_select(components: Sequence[Component], custom_id: str) -> SelectMenu | None:
    for component in components:
        children = component.children if isinstance(component, ActionRow) else [component]
        for child in children:
            if isinstance(child, SelectMenu) and child.custom_id == custom_id:
                return child
    return None

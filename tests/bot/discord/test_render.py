"""Replies become Discord messages: literal text within 2,000 characters, and components
within Discord's limits (5 rows of 5 buttons, selects of 25 options) that map back to the
core's actions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from discord import ActionRow, ButtonStyle
from discord.ui import View
from hypothesis import given
from hypothesis import strategies as st

from bot.core.replies import (
    Choice,
    ChoiceRow,
    LinkChoice,
    Reply,
    SampleNotification,
    choice,
    plain,
    text,
)
from bot.core.wizard import advance
from bot.core.wizard_state import Step, WizardState
from bot.core.wizard_types import ActionInput
from bot.core.wizard_views import WizardFacts, prompt
from bot.discord.render import actions_of, render_reply
from bot.discord.wording import MAX_CONTENT_CHARS, visible_length
from locales import translate

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FACTS = WizardFacts(chains=("mainnet",))


def components(view: View | None) -> list[dict[str, Any]]:
    """The action rows as Discord receives them."""
    return [] if view is None else view.to_components()


def row_kinds(view: View | None) -> list[list[int]]:
    return [[item["type"] for item in row["components"]] for row in components(view)]


def click(custom_id: str) -> dict[str, object]:
    return {"custom_id": custom_id, "component_type": 2}


def pick(custom_id: str, *values: str) -> dict[str, object]:
    return {"custom_id": custom_id, "component_type": 3, "values": list(values)}


def select_rows(view: View | None) -> list[dict[str, Any]]:
    return [row["components"][0] for row in components(view) if row["components"][0]["type"] == 3]


def events_state(count: int, selected: tuple[int, ...]) -> WizardState:
    abi = [
        {"type": "event", "name": f"Event{i}", "anonymous": False, "inputs": []}
        for i in range(count)
    ]
    return WizardState(
        Step.EVENTS,
        "run1",
        NOW,
        chain="mainnet",
        abi_json=orjson.dumps(abi).decode(),
        selected=selected,
    )


# --- text ---------------------------------------------------------------------------------------


def test_markdown_and_mentions_in_parameters_show_literally_and_ping_nobody() -> None:
    typed = "**bold** _it_ ~~gone~~ ||spoiler|| `code` @everyone <@123456789012345678>"
    rendered = render_reply(Reply(text("bot.plain", text=typed)), in_guild=True)
    assert rendered.content == (
        r"\*\*bold\*\* \_it\_ \~\~gone\~\~ \|\|spoiler\|\| \`code\` "
        "@\u200beveryone <@\u200b123456789012345678>"
    )
    mentions = rendered.send_arguments()["allowed_mentions"]
    assert (mentions.everyone, mentions.users, mentions.roles) == (False, False, False)


def test_a_parameters_backslash_cannot_undo_the_escape_of_what_follows() -> None:
    rendered = render_reply(Reply(text("bot.plain", text="\\*x*")), in_guild=False)
    assert rendered.content == r"\\\*x\*"  # shown: \*x*


def test_a_masked_link_in_a_parameter_is_not_a_link() -> None:
    rendered = render_reply(Reply(text("bot.plain", text="[safe](https://evil.example)")), False)
    assert rendered.content.startswith("\\[safe]")


def test_urls_stay_links() -> None:
    url = "https://example.com/hook_a_b?x=*y*"
    rendered = render_reply(Reply(text("bot.plain", text=f"a_b {url}")), in_guild=False)
    assert rendered.content == f"a\\_b {url}"


def test_text_is_in_the_replys_language_with_extras_as_paragraphs() -> None:
    reply = Reply(text("bot.list.title", count=3), extra=(text("bot.help.text"),), language="ru")
    content = render_reply(reply, in_guild=False).content
    assert content.startswith(translate("ru", "bot.list.title", count=3) + "\n\n")
    assert "[filter:]" in content  # the catalog's brackets are text, untouched


def test_the_core_says_send_and_tap_where_discord_has_its_own_words() -> None:
    reply = Reply(
        text("bot.error.address.invalid", value="0x12"),
        extra=(text("bot.wizard.ask_address", chain="mainnet"),),
    )
    content = render_reply(reply, in_guild=True).content
    assert content == (
        translate("en", "dc.error.address.invalid", value="0x12")
        + "\n\n"
        + translate("en", "dc.wizard.ask_address", chain="mainnet")
    )
    assert "Send" not in content and "Enter 0x" in content


def test_long_replies_keep_whole_paragraphs_within_the_limit() -> None:
    paragraph = "x" * 900
    reply = Reply(
        text("bot.plain", text=paragraph),
        extra=tuple(text("bot.plain", text=paragraph) for _ in range(3)),
    )
    content = render_reply(reply, in_guild=False).content
    assert content == f"{paragraph}\n\n{paragraph}\n\n…"


def test_one_long_paragraph_is_cut_counting_emoji_as_discord_does() -> None:
    content = render_reply(Reply(text("bot.plain", text="😀" * 1500)), in_guild=False).content
    assert visible_length(content) <= MAX_CONTENT_CHARS
    assert content.endswith("😀…")


@given(st.lists(st.text(max_size=3000), min_size=1, max_size=4))
def test_any_parameters_render_within_the_limit(params: list[str]) -> None:
    reply = Reply(
        text("bot.plain", text=params[0]),
        extra=tuple(text("bot.plain", text=param) for param in params[1:]),
    )
    content = render_reply(reply, in_guild=True).content
    assert 0 < visible_length(content) <= MAX_CONTENT_CHARS or content == ""
    assert not content.endswith("\\…") or content.endswith("\\\\…")


# --- who sees it ------------------------------------------------------------------------------


def test_replies_in_a_server_are_ephemeral_but_a_test_notification_is_posted() -> None:
    reply = Reply(text("bot.list.empty"))
    sample = SampleNotification(5, "mainnet", "0x" + "1" * 40, "Transfer", {})
    test = Reply(text("bot.sub.test", id=5), sample=sample)
    assert render_reply(reply, in_guild=True).send_arguments()["ephemeral"] is True
    assert render_reply(test, in_guild=True).send_arguments()["ephemeral"] is False
    assert render_reply(reply, in_guild=False).send_arguments()["ephemeral"] is False


def test_a_reply_without_choices_sends_no_view_and_edits_the_old_one_away() -> None:
    rendered = render_reply(Reply(text("bot.list.empty")), in_guild=True)
    assert "view" not in rendered.send_arguments()
    assert rendered.edit_arguments()["view"] is None
    assert "ephemeral" not in rendered.edit_arguments()


# --- buttons ----------------------------------------------------------------------------------


def test_choices_become_buttons_row_for_row_and_links_link_buttons() -> None:
    reply = Reply(
        text("bot.help.text"),
        (
            (
                choice("bot.choice.subscribe", "menu:subscribe"),
                choice("bot.choice.list", "menu:list"),
            ),
            (LinkChoice(plain("Docs"), "https://example.com/docs"),),
        ),
        language="es",
    )
    rows = components(render_reply(reply, in_guild=False).view)
    assert [[button.get("custom_id") for button in row["components"]] for row in rows] == [
        ["menu:subscribe", "menu:list"],
        [None],
    ]
    assert rows[0]["components"][0]["label"] == translate("es", "bot.choice.subscribe")
    link = rows[1]["components"][0]
    assert (link["url"], link["style"]) == ("https://example.com/docs", ButtonStyle.link.value)
    assert actions_of(click("menu:list")) == ("menu:list",)


def test_twenty_five_buttons_in_five_rows_stay_buttons() -> None:
    rows = tuple(tuple(Choice(plain(f"{r}.{c}"), f"a:{r}:{c}") for c in range(5)) for r in range(5))
    view = render_reply(Reply(text("bot.list.empty"), rows), in_guild=False).view
    assert row_kinds(view) == [[2] * 5] * 5


def test_labels_are_cut_to_discords_limits() -> None:
    long = "L" * 300
    view = render_reply(Reply(text("bot.list.empty"), ((Choice(plain(long), "a:1"),),)), True).view
    label = components(view)[0]["components"][0]["label"]
    assert len(label) == 80 and label.endswith("…")


def test_the_longest_action_fits_a_custom_id() -> None:
    action = "sub:mute:" + "9" * 55
    view = render_reply(Reply(text("bot.list.empty"), ((Choice(plain("x"), action),),)), True).view
    assert components(view)[0]["components"][0]["custom_id"] == action


def test_a_question_answered_by_typing_gets_its_button_first() -> None:
    asked = prompt(WizardState(Step.ADDRESS, "run1", NOW, chain="mainnet"), FACTS)
    rows = components(render_reply(asked, in_guild=True).view)
    assert [[(i["label"], i["custom_id"], i["style"]) for i in r["components"]] for r in rows] == [
        [("✏️ Type the address", "type:a:run1", ButtonStyle.primary.value)],
        [("Cancel", "w:run1:x", ButtonStyle.secondary.value)],
    ]
    assert actions_of(click("type:a:run1")) == ()  # it opens a modal: no core action


def test_a_reply_for_another_chat_names_it_in_every_custom_id() -> None:
    chat = "1" * 19
    view = render_reply(prompt(events_state(3, (0,)), FACTS), True, chat).view
    ids = [i["custom_id"] for row in components(view) for i in row["components"]]
    assert ids and all(i.startswith(f"@{chat}|") for i in ids)
    [select] = select_rows(view)
    message = [ActionRow(row) for row in components(view)]  # type: ignore[arg-type]
    chosen = pick(select["custom_id"], "w:run1:e:0", "w:run1:e:2")
    assert actions_of(chosen, message) == ("w:run1:e:2",)
    assert actions_of(click(f"@{chat}|w:run1:done")) == ("w:run1:done",)
    assert actions_of(click("@dm|menu:list")) == ("menu:list",)


# --- selects instead of buttons -------------------------------------------------------------------


def test_a_long_list_becomes_selects_of_twenty_five() -> None:
    opens = tuple(
        (choice("bot.choice.open", f"sub:show:{i}", id=i, event="Transfer"),) for i in range(1, 51)
    )
    view = render_reply(Reply(text("bot.list.title", count=50), opens), in_guild=True).view
    selects = select_rows(view)
    assert [len(select["options"]) for select in selects] == [25, 25]
    assert row_kinds(view) == [[3], [3]]
    assert selects[1]["options"][0] == {
        "label": "#26 Transfer",
        "value": "sub:show:26",
        "default": False,
    }
    assert actions_of(pick(selects[1]["custom_id"], "sub:show:26")) == ("sub:show:26",)


def test_many_chains_become_a_select_above_the_cancel_button() -> None:
    chains = tuple(f"chain{i}" for i in range(12))
    reply = prompt(WizardState(Step.CHAIN, "run1", NOW), WizardFacts(chains=chains))
    view = render_reply(reply, in_guild=False).view
    assert row_kinds(view) == [[3], [2]]
    assert [o["label"] for o in select_rows(view)[0]["options"]] == list(chains)
    assert components(view)[1]["components"][0]["custom_id"] == "w:run1:x"


def test_a_row_of_six_choices_becomes_a_select() -> None:
    row = tuple(Choice(plain(f"c{i}"), f"a:{i}") for i in range(6))
    back = (choice("bot.choice.list", "menu:list"),)
    view = render_reply(Reply(text("bot.list.empty"), (row, back)), in_guild=True).view
    assert row_kinds(view) == [[3], [2]]


def test_the_wizards_events_are_one_multi_select_with_the_chosen_preselected() -> None:
    reply = prompt(events_state(4, selected=(1, 3)), FACTS)
    view = render_reply(reply, in_guild=True).view
    select = select_rows(view)[0]
    assert (select["min_values"], select["max_values"]) == (0, 4)
    assert [(o["label"], o["default"]) for o in select["options"]] == [
        ("Event0", False),
        ("Event1", True),
        ("Event2", False),
        ("Event3", True),
    ]
    assert row_kinds(view) == [[3], [2, 2], [2]]  # events; done, other ABI; cancel


def test_forty_events_take_two_selects() -> None:
    view = render_reply(prompt(events_state(40, selected=()), FACTS), in_guild=False).view
    assert [len(select["options"]) for select in select_rows(view)] == [25, 15]


def test_choosing_events_in_the_select_moves_the_wizard_to_that_choice() -> None:
    state = events_state(30, selected=(1, 3))
    view = render_reply(prompt(state, FACTS), in_guild=False).view
    message = [ActionRow(row) for row in components(view)]  # type: ignore[arg-type]
    first, second = (select["custom_id"] for select in select_rows(view))
    chosen = ("w:run1:e:3", "w:run1:e:4")
    for action in actions_of(pick(first, *chosen), message):
        state = advance(state, ActionInput(action), FACTS, NOW).state
    assert state.selected == (3, 4)
    for action in actions_of(pick(second, "w:run1:e:27"), message):
        state = advance(state, ActionInput(action), FACTS, NOW).state
    assert state.selected == (3, 4, 27)


def test_selects_this_module_did_not_render_stand_for_nothing() -> None:
    view = render_reply(prompt(events_state(3, selected=(0,)), FACTS), in_guild=False).view
    message = [ActionRow(row) for row in components(view)]  # type: ignore[arg-type]
    assert actions_of(pick("toggle:0", "w:run1:e:1")) == ()  # without the message
    assert actions_of(pick("toggle:7", "w:run1:e:1"), message) == ()
    assert actions_of(pick("toggle:0", "w:run1:e:0", "forged"), message) == ()
    assert actions_of(pick("other", "sub:del:1")) == ()
    assert actions_of({"custom_id": "menu:list", "component_type": 4}) == ()
    assert actions_of({"component_type": 2}) == ()
    assert actions_of(pick("pick:0")) == ()


# --- any choices, within the limits ---------------------------------------------------------------

ACTIONS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=16).map(
    lambda s: s.encode()[:64].decode("utf-8", "ignore") or "a"
)
CHOICES = st.one_of(
    st.builds(lambda label, action: Choice(plain(label), action), st.text(max_size=200), ACTIONS),
    st.builds(
        lambda name, on, action: choice(
            "bot.choice.event_on" if on else "bot.choice.event_off", action, name=name
        ),
        st.text(max_size=200),
        st.booleans(),
        ACTIONS,
    ),
    st.builds(lambda label: LinkChoice(plain(label), "https://example.com"), st.text(max_size=90)),
)


@given(
    st.lists(st.lists(CHOICES, min_size=1, max_size=8).map(tuple), max_size=60),
    st.sampled_from(["here", "dm", "9" * 20]),
)
def test_any_choices_render_within_discords_limits(rows: list[ChoiceRow], chat: str) -> None:
    view = render_reply(Reply(text("bot.list.empty"), tuple(rows)), True, chat).view
    rendered = components(view)
    assert len(rendered) <= 5
    custom_ids = []
    for row in rendered:
        items = row["components"]
        assert len(items) <= 5
        for item in items:
            if item["type"] == 3:
                assert len(items) == 1 and 1 <= len(item["options"]) <= 25
                assert all(0 < len(o["label"]) <= 100 for o in item["options"])
                assert len({o["value"] for o in item["options"]}) == len(item["options"])
            else:
                assert 0 < len(item["label"]) <= 80
            if "custom_id" in item:
                assert len(item["custom_id"]) <= 100
                custom_ids.append(item["custom_id"])
    assert len(custom_ids) == len(set(custom_ids))

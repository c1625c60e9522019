"""The cozepy clients whose calls are not in the OpenAPI document, against the emulator:
`templates.duplicate` (the copy is a bot you read back, publish and chat with),
`api_apps.list/delete` and `api_apps.events.list/delete` (a deleted app or event is gone),
`enterprises.members.delete`, `connectors.bots.update` (a connector's review result) and
`audio.live.retrieve` (a room's live), `audio.voiceprint_groups` and their `features` (the
same recording identifies its speaker with score 100). Refusals carry Coze's codes."""

from __future__ import annotations

import uuid

import pytest
from cozepy import ChatStatus, CozeAPIError, Message, MessageType

from support import only


def _refused(code, call):
    with pytest.raises(CozeAPIError) as err:
        call()
    assert err.value.code == code, err.value
    return err.value


def test_a_duplicated_template_is_a_bot_you_read_back_publish_and_chat_with(coze, emulator):
    from cozepy.templates import TemplateEntityType

    template = emulator.info["templates"]["assistant"]
    made = coze.templates.duplicate(template_id=template, workspace_id=emulator.workspace_id, name="Helper")
    assert made.entity_type == TemplateEntityType.AGENT
    assert 0 < int(made.entity_id) < 2**63
    draft = coze.bots.retrieve(bot_id=made.entity_id, is_published=False, use_api_version=2)
    assert draft.name == "Helper"
    ask = [Message.build_user_question_text("hello copy")]
    _refused(4015, lambda: coze.chat.create_and_poll(bot_id=made.entity_id, user_id="u1", additional_messages=ask))
    coze.bots.publish(bot_id=made.entity_id)
    result = coze.chat.create_and_poll(bot_id=made.entity_id, user_id="u1", additional_messages=ask)
    assert result.chat.status == ChatStatus.COMPLETED
    answer = only([m for m in result.messages if m.type == MessageType.ANSWER], "answer")
    assert "hello copy" in answer.content

    listed = coze.bots.list(space_id=emulator.workspace_id, page_size=100)
    assert made.entity_id in {b.bot_id for b in listed.items}
    second = coze.templates.duplicate(template_id=template, workspace_id=emulator.workspace_id)
    assert second.entity_id != made.entity_id
    assert coze.bots.retrieve(bot_id=second.entity_id, is_published=False, use_api_version=2).name == "Assistant"

    _refused(4200, lambda: coze.templates.duplicate(template_id="7000000000000000001", workspace_id=emulator.workspace_id))
    _refused(4200, lambda: coze.templates.duplicate(template_id=template, workspace_id="123"))
    _refused(4000, lambda: coze.templates.duplicate(template_id=template, workspace_id=emulator.workspace_id, name="x" * 21))


def test_api_apps_list_delete_and_their_events(coze):
    from cozepy.api_apps import AppType

    tag = uuid.uuid4().hex[:6]
    ids = [coze.api_apps.create(app_type=AppType.NORMAL, name=f"hooks-{tag}-{n}").id for n in range(3)]
    mine = [a for a in coze.api_apps.list(page_size=2) if a.name.startswith(f"hooks-{tag}")]
    assert sorted(a.id for a in mine) == sorted(ids), "every page, two at a time"
    assert all(int(a.id) < 2**63 for a in mine)
    assert not [a for a in coze.api_apps.list(app_type=AppType.CONNECTOR) if a.id in ids]

    coze.api_apps.events.create(api_app_id=ids[0], event_types=["bot.published", "bot.deleted"])
    events = list(coze.api_apps.events.list(api_app_id=ids[0]))
    assert sorted(e.event_type for e in events) == ["bot.deleted", "bot.published"]
    assert {e.api_app_id for e in events} == {ids[0]}
    coze.api_apps.events.delete(api_app_id=ids[0], event_types=["bot.deleted"])
    assert [e.event_type for e in coze.api_apps.events.list(api_app_id=ids[0])] == ["bot.published"]
    _refused(4200, lambda: coze.api_apps.events.delete(api_app_id=ids[0], event_types=["bot.deleted"]))
    _refused(4000, lambda: coze.api_apps.events.delete(api_app_id=ids[0], event_types=[]))

    coze.api_apps.delete(app_id=ids[0])
    assert ids[0] not in {a.id for a in coze.api_apps.list()}
    _refused(4200, lambda: coze.api_apps.delete(app_id=ids[0]))
    _refused(4200, lambda: list(coze.api_apps.events.list(api_app_id=ids[0])))


def test_enterprise_member_delete(coze):
    from cozepy.enterprises.members import EnterpriseMember

    ent = f"e-{uuid.uuid4().hex[:6]}"
    coze.enterprises.members.create(
        enterprise_id=ent,
        users=[EnterpriseMember(user_id="42", role="enterprise_member"), EnterpriseMember(user_id="43", role="enterprise_admin")],
    )
    _refused(4000, lambda: coze.enterprises.members.delete(enterprise_id=ent, user_id="42", receiver_user_id="44"))
    _refused(4000, lambda: coze.enterprises.members.delete(enterprise_id=ent, user_id="42", receiver_user_id="42"))
    coze.enterprises.members.delete(enterprise_id=ent, user_id="42", receiver_user_id="43")
    _refused(4200, lambda: coze.enterprises.members.update(enterprise_id=ent, user_id="42", role="enterprise_admin"))
    _refused(4200, lambda: coze.enterprises.members.delete(enterprise_id=ent, user_id="42", receiver_user_id="43"))


def test_connector_bot_review_and_live(coze, bots):
    from cozepy.connectors.bots import AuditStatus

    coze.connectors.bots.update(bot_id=bots["echo"], connector_id="1024", audit_status=AuditStatus.APPROVED)
    coze.connectors.bots.update(
        bot_id=bots["echo"], connector_id="1024", audit_status=AuditStatus.REJECTED, reason="needs a privacy policy"
    )
    _refused(4000, lambda: coze.connectors.bots.update(bot_id=bots["echo"], connector_id="1024", audit_status=AuditStatus.REJECTED))
    _refused(4200, lambda: coze.connectors.bots.update(bot_id="7000000000000000009", connector_id="1024", audit_status=AuditStatus.APPROVED))

    room = coze.audio.rooms.create(bot_id=bots["echo"])
    live = coze.audio.live.retrieve(live_id=room.room_id)
    assert live.app_id == room.app_id
    assert [s.live_type for s in live.stream_infos] == ["origin"]
    _refused(4200, lambda: coze.audio.live.retrieve(live_id="7000000000000000010"))


def test_voiceprint_groups_identify_the_speaker(coze, tmp_path):
    voice = coze.audio.voices.list().items[0].voice_id

    def sample(text, name):
        path = tmp_path / name
        coze.audio.speech.create(input=text, voice_id=voice, response_format="wav").write_to_file(str(path))
        return path

    mum, dad = sample("hello there, how are you", "mum.wav"), sample("zzzz ~~~~ zzzz ~~~~", "dad.wav")
    vp = coze.audio.voiceprint_groups
    name = f"room-{uuid.uuid4().hex[:6]}"
    group = vp.create(name=name, desc="speaker 2").id
    assert 0 < int(group) < 2**63
    mum_id = vp.features.create(group_id=group, name="Mum", file=mum).id
    dad_id = vp.features.create(group_id=group, name="Dad", desc="low voice", file=dad).id
    assert {f.id for f in vp.features.list(group_id=group)} == {mum_id, dad_id}
    listed = only(list(vp.list(name=name)), "group")
    assert (listed.id, listed.name, listed.feature_count) == (group, name, 2)

    scores = vp.speaker_identify(group_id=group, file=mum).feature_score_list
    assert [s.feature_id for s in scores][0] == mum_id and scores[0].score == 100
    assert scores[1].score < 100
    # cozepy 0.20.0 puts numbers into the multipart body as they are, and httpx then fails
    # before sending ("'int' object has no attribute 'read'"): pass them as strings.
    assert len(vp.speaker_identify(group_id=group, file=mum, top_k="1").feature_score_list) == 1

    vp.features.update(group_id=group, feature_id=mum_id, name="Mother")
    vp.features.delete(group_id=group, feature_id=dad_id)
    assert [f.name for f in vp.features.list(group_id=group)] == ["Mother"]
    _refused(4200, lambda: vp.features.delete(group_id=group, feature_id=dad_id))
    silence = tmp_path / "silence.pcm"
    silence.write_bytes(bytes(32000))
    _refused(4000, lambda: vp.speaker_identify(group_id=group, file=silence, sample_rate="16000", channel="1"))
    _refused(4000, lambda: vp.create(name="x" * 21))
    vp.update(group_id=group, name=f"{name}-2")
    assert only(list(vp.list(group_id=group)), "group").name == f"{name}-2"
    vp.delete(group_id=group)
    _refused(4200, lambda: list(vp.features.list(group_id=group)))
    assert not [g for g in vp.list() if g.id == group]

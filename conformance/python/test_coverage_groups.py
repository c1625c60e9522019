"""The resources added for full API coverage, through cozepy: knowledge bases (datasets,
documents processed over time, images), variables, audio (speech that transcribes back,
voices, cloning, rooms), workspace members, folders, apps, workflow versions, node outputs."""

from __future__ import annotations

import time
import uuid

import pytest
from cozepy import CozeAPIError
from cozepy.datasets.documents import DocumentBase, DocumentFormatType, DocumentSourceInfo

from support import only


def test_datasets_documents_progress_and_delete(coze, emulator):
    name = f"kb-{uuid.uuid4().hex[:6]}"
    created = coze.datasets.create(name=name, space_id=emulator.workspace_id, format_type=DocumentFormatType.DOCUMENT)
    ds_id = created.dataset_id
    assert ds_id
    docs = coze.datasets.documents.create(
        dataset_id=ds_id,
        document_bases=[
            DocumentBase(name="rules.txt", source_info=DocumentSourceInfo.build_local_file("Be kind. Ship often.")),
            DocumentBase(name="faq", source_info=DocumentSourceInfo.build_web_page("https://example.com/faq")),
        ],
    )
    items = list(docs)
    assert [d.name for d in items] == ["rules.txt", "faq"]
    ids = [d.document_id for d in items]
    seen = []
    deadline = time.monotonic() + 15
    while True:
        progress = list(coze.datasets.process(dataset_id=ds_id, document_ids=ids))
        seen.append(progress[0].progress)
        if all(p.progress == 100 for p in progress) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert seen[-1] == 100 and seen[0] < 100, seen
    assert seen == sorted(seen), "progress only grows"
    assert all(p.status == 1 for p in progress)

    listed = only([d for d in coze.datasets.list(space_id=emulator.workspace_id, name=name)], name)
    assert listed.doc_count == 2 and listed.name == name
    documents = list(coze.datasets.documents.list(dataset_id=ds_id, page_size=1))
    assert sorted(d.name for d in documents) == ["faq", "rules.txt"]
    coze.datasets.documents.update(document_id=ids[0], document_name="rules-v2.txt")
    coze.datasets.documents.delete(document_ids=[ids[1]])
    assert [d.name for d in coze.datasets.documents.list(dataset_id=ds_id)] == ["rules-v2.txt"]
    coze.datasets.update(dataset_id=ds_id, name=f"{name}-2")
    coze.datasets.delete(dataset_id=ds_id)
    assert not [d for d in coze.datasets.list(space_id=emulator.workspace_id, name=name)]
    with pytest.raises(CozeAPIError) as err:
        coze.datasets.process(dataset_id=ds_id, document_ids=ids)
    assert err.value.code == 4200


def test_image_dataset_captions(coze, emulator):
    ds_id = coze.datasets.create(
        name=f"img-{uuid.uuid4().hex[:6]}", space_id=emulator.workspace_id, format_type=DocumentFormatType.IMAGE
    ).dataset_id
    doc = list(
        coze.datasets.documents.create(
            dataset_id=ds_id,
            document_bases=[
                DocumentBase(name="cat.png", source_info=DocumentSourceInfo.build_local_file("PNG", file_type="png"))
            ],
            format_type=DocumentFormatType.IMAGE,
        )
    )[0]
    coze.datasets.images.update(dataset_id=ds_id, document_id=doc.document_id, caption="a sleepy cat")
    photos = list(coze.datasets.images.list(dataset_id=ds_id, keyword="sleepy"))
    assert [p.caption for p in photos] == ["a sleepy cat"]
    assert not list(coze.datasets.images.list(dataset_id=ds_id, keyword="dog"))


def test_variables_set_and_get(coze, bots):
    from cozepy.variables import VariableValue

    user = f"u-{uuid.uuid4().hex[:6]}"
    coze.variables.update(
        bot_id=bots["echo"],
        connector_uid=user,
        data=[VariableValue(keyword="city", value="Hangzhou"), VariableValue(keyword="lang", value="zh")],
    )
    got = coze.variables.retrieve(bot_id=bots["echo"], connector_uid=user, keywords=["city"])
    assert [(v.keyword, v.value) for v in got] == [("city", "Hangzhou")]
    with pytest.raises(CozeAPIError) as err:
        coze.variables.retrieve(bot_id="1", connector_uid=user, keywords=["city"])
    assert err.value.code == 4200


def test_speech_transcribes_back_and_voices(coze, bots, tmp_path):
    voices = list(coze.audio.voices.list())
    assert len(voices) >= 2 and all(v.is_system_voice for v in voices)
    speech = coze.audio.speech.create(input="Hello from cozepy", voice_id=voices[0].voice_id, response_format="wav")
    path = tmp_path / "hello.wav"
    speech.write_to_file(str(path))
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    text = coze.audio.transcriptions.create(file=("hello.wav", data))
    assert text.text == "Hello from cozepy"
    voice = coze.audio.voices.clone(voice_name="Mine", file=("sample.wav", data), audio_format="wav")
    assert voice.voice_id and not voice.is_system_voice
    assert [v.name for v in coze.audio.voices.list(filter_system_voice=True)] == ["Mine"]
    room = coze.audio.rooms.create(bot_id=bots["echo"], voice_id=voice.voice_id)
    assert room.room_id and room.token and room.app_id
    with pytest.raises(CozeAPIError) as err:
        coze.audio.speech.create(input="hi", voice_id="nope")
    assert err.value.code == 4200


def test_workspace_members_folders_and_apps(coze, emulator):
    # cozepy 0.20.0's workspaces.members.list casts the page to one member, which fails on the
    # documented `{items, total_count}` page; the emulator follows the documentation, so the
    # list is checked over plain HTTP.
    page = (
        emulator.http()
        .get(f"/v1/workspaces/{emulator.workspace_id}/members", headers={"Authorization": f"Bearer {emulator.pat}"})
        .json()
    )
    assert page["code"] == 0
    assert [m["role_type"] for m in page["data"]["items"]] == ["owner"]
    assert page["data"]["total_count"] == 1
    folders = list(coze.folders.list(workspace_id=emulator.workspace_id, folder_type="development"))
    assert [f.folder_type for f in folders] == ["development"]
    folder = coze.folders.retrieve(folder_id=folders[0].id)
    assert folder.name == folders[0].name
    apps = list(coze.apps.list(workspace_id=emulator.workspace_id))
    assert len(apps) == 1 and apps[0].is_published


def test_workflow_versions_and_node_outputs(coze, emulator):
    greeting = emulator.info["workflows"]["greeting"]
    versions = list(coze.workflows.versions.list(workflow_id=greeting))
    assert [v.version for v in versions] == ["v0.0.1"]
    run = coze.workflows.runs.create(workflow_id=greeting, parameters={"input": "Ada"})
    node = coze.workflows.runs.run_histories.execute_nodes.retrieve(
        workflow_id=greeting, execute_id=run.execute_id, node_execute_uuid=f"{run.execute_id}-end"
    )
    assert node.is_finish and "Ada" in node.node_output
    with pytest.raises(CozeAPIError) as err:
        coze.workflows.runs.run_histories.execute_nodes.retrieve(
            workflow_id=greeting, execute_id=run.execute_id, node_execute_uuid="nope"
        )
    assert err.value.code == 4200

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


def test_api_apps_and_events(coze):
    from cozepy.api_apps import AppType

    app = coze.api_apps.create(app_type=AppType.NORMAL, name="hooks")
    assert app.id and app.name == "hooks"
    coze.api_apps.update(app_id=app.id, name="hooks-2", callback_url="https://example.com/hook")
    coze.api_apps.events.create(api_app_id=app.id, event_types=["bot.published"])
    with pytest.raises(CozeAPIError) as err:
        coze.api_apps.update(app_id="1", name="x")
    assert err.value.code == 4200


def test_enterprise_members(coze):
    from cozepy.enterprises.members import EnterpriseMember

    coze.enterprises.members.create(
        enterprise_id="e1", users=[EnterpriseMember(user_id="42", role="enterprise_member")]
    )
    coze.enterprises.members.update(enterprise_id="e1", user_id="42", role="enterprise_admin")
    with pytest.raises(CozeAPIError) as err:
        coze.enterprises.members.update(enterprise_id="e1", user_id="43", role="enterprise_admin")
    assert err.value.code == 4200


def test_the_rest_over_http_matches_the_schema(emulator, bots):
    """Endpoints cozepy 0.20.0 has no client for, over plain HTTP: every answer goes through
    the schema check, and the refusals carry Coze's codes."""
    http = emulator.http()
    auth = {"Authorization": f"Bearer {emulator.pat}"}

    def call(method, path, body=None):
        resp = http.request(method, path, json=body, headers=auth)
        return resp.json()

    versions = call("GET", f"/v1/bots/{bots['echo']}/versions?publish_status=all")
    assert [v["publish_status"] for v in versions["data"]["items"]] == ["published_online", "unpublished_draft"]
    ws = call("POST", "/v1/workspaces", {"name": f"team-{uuid.uuid4().hex[:4]}"})["data"]["id"]
    assert call("PUT", f"/v1/workspaces/{ws}", {"name": "renamed"})["code"] == 0
    added = call("POST", f"/v1/workspaces/{ws}/members", {"users": [{"user_id": "123456", "role_type": "member"}]})
    assert added["data"]["added_success_user_ids"] == ["123456"]
    removed = call("DELETE", f"/v1/workspaces/{ws}/members", {"user_ids": ["123456"]})
    assert removed["data"]["removed_success_user_ids"] == ["123456"]
    assert call("POST", f"/v1/bots/{bots['echo']}/collaborators", {"collaborators": [{"user_id": "1"}]})["code"] == 4000
    assert call("POST", f"/v1/bots/{bots['echo']}/collaboration_mode", {"collaboration_mode": "collaboration"})["code"] == 0
    copied = call("POST", "/v1/entities/copy_tasks", {"entity_type": "bot", "entity_id": bots["echo"]})
    task = call("GET", f"/v1/entities/copy_tasks/{copied['data']['task_id']}")
    assert task["data"]["task_status"] == "successful"
    assert call("POST", "/v1/connectors/1024/install", {"workspace_id": emulator.workspace_id})["code"] == 0
    benefits = call("GET", "/v1/commerce/benefit/benefits/get")
    assert benefits["data"]["benefit_info"][0]["basic"]["status"] == "valid"
    assert call("POST", "/v1/commerce/benefit/bill_tasks", {"started_at": 1, "ended_at": 2})["code"] == 0
    assert call("GET", "/v1/commerce/benefit/bill_tasks")["data"]["total"] >= 1
    org = call("POST", "/v1/enterprises/e2/organizations", {"name": "R&D"})["data"]["organization_id"]
    assert call("PUT", f"/v1/organizations/{org}", {"name": "Research"})["code"] == 0
    assert call("POST", f"/v1/organizations/{org}/members", {"users": [{"user_id": "7"}]})["code"] == 0
    assert call("PUT", f"/v1/organizations/{org}/members/8", {"role": "admin"})["code"] == 4200

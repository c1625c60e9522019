"""The cozepy clients and REST groups test_coverage_groups.py leaves out: workspace members
through cozepy (create / delete), workflows.retrieve, message feedback, the deprecated
`coze.knowledge.documents` client, folder ids as Coze ids; and, over plain HTTP (cozepy 0.20.0
has no client for them), workflow resume by id, collaborator removal and app / workflow
collaborators, connector user configs and benefit limits.

Not here: cozepy's clients whose paths are not in the OpenAPI document (`templates`,
`audio.live`, `connectors.bots`, the API app list / delete and event list / delete, enterprise
member delete): test_sdk_extras.py."""

from __future__ import annotations

import uuid

import pytest
from cozepy import CozeAPIError, WorkflowEventType
from cozepy.datasets.documents import DocumentBase, DocumentFormatType, DocumentSourceInfo

from support import only


def _http(emulator):
    http = emulator.http()
    auth = {"Authorization": f"Bearer {emulator.pat}"}

    def call(method, path, body=None, params=None):
        return http.request(method, path, json=body, params=params, headers=auth).json()

    return call


def test_workspace_members_through_cozepy(coze, emulator):
    from cozepy.workspaces.members import WorkspaceMember, WorkspaceRoleType

    call = _http(emulator)
    ws = call("POST", "/v1/workspaces", {"name": f"team-{uuid.uuid4().hex[:4]}"})["data"]["id"]
    added = coze.workspaces.members.create(
        workspace_id=ws,
        users=[
            WorkspaceMember(user_id="345678", role_type=WorkspaceRoleType.MEMBER),
            WorkspaceMember(user_id="x", role_type=WorkspaceRoleType.MEMBER),
        ],
    )
    assert added.added_success_user_ids == ["345678"] and added.not_exist_user_ids == ["x"]
    listed = call("GET", f"/v1/workspaces/{ws}/members")["data"]
    assert [m["user_id"] for m in listed["items"]][1:] == ["345678"]
    removed = coze.workspaces.members.delete(workspace_id=ws, user_ids=["345678", "456789"])
    assert removed.removed_success_user_ids == ["345678"]
    assert removed.not_in_workspace_user_ids == ["456789"]
    assert call("GET", f"/v1/workspaces/{ws}/members")["data"]["total_count"] == 1
    with pytest.raises(CozeAPIError) as err:
        coze.workspaces.members.create(
            workspace_id=emulator.workspace_id, users=[WorkspaceMember(user_id="1", role_type=WorkspaceRoleType.MEMBER)]
        )
    assert err.value.code == 4000


def test_workflow_retrieve(coze, emulator):
    greeting = emulator.info["workflows"]["greeting"]
    info = coze.workflows.retrieve(workflow_id=greeting)
    assert info.workflow_detail.workflow_id == greeting
    assert info.workflow_detail.workflow_name == "greeting"
    with pytest.raises(CozeAPIError) as err:
        coze.workflows.retrieve(workflow_id="7390000000000999999")
    assert err.value.code == 4200


def test_message_feedback(coze, bots):
    from cozepy.conversations.message.feedback import FeedbackType

    conv = coze.conversations.create(bot_id=bots["echo"])
    msg = coze.conversations.messages.create(
        conversation_id=conv.id, role="user", content="rate me", content_type="text"
    )
    coze.conversations.messages.feedback.create(
        conversation_id=conv.id, message_id=msg.id, feedback_type=FeedbackType.LIKE
    )
    coze.conversations.messages.feedback.delete(conversation_id=conv.id, message_id=msg.id)
    with pytest.raises(CozeAPIError) as err:
        coze.conversations.messages.feedback.create(
            conversation_id=conv.id, message_id="7000000000000000001", feedback_type=FeedbackType.LIKE
        )
    assert err.value.code == 4200


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_deprecated_knowledge_documents_client(coze, emulator):
    ds = coze.datasets.create(
        name=f"old-{uuid.uuid4().hex[:6]}", space_id=emulator.workspace_id, format_type=DocumentFormatType.DOCUMENT
    ).dataset_id
    created = list(
        coze.knowledge.documents.create(
            dataset_id=ds,
            document_bases=[
                DocumentBase(name="old.txt", source_info=DocumentSourceInfo.build_local_file("Old client."))
            ],
        )
    )
    doc = only(created, "document")
    coze.knowledge.documents.update(document_id=doc.document_id, document_name="old-v2.txt")
    assert [d.name for d in coze.knowledge.documents.list(dataset_id=ds)] == ["old-v2.txt"]
    coze.knowledge.documents.delete(document_ids=[doc.document_id])
    assert not list(coze.knowledge.documents.list(dataset_id=ds))


def test_folder_and_app_ids_are_coze_ids(coze, emulator):
    folders = [
        only(list(coze.folders.list(workspace_id=emulator.workspace_id, folder_type=kind)), kind)
        for kind in ("development", "library")
    ]
    assert coze.folders.retrieve(folder_id=folders[1].id).name == folders[1].name
    app = only(list(coze.apps.list(workspace_id=emulator.workspace_id)), "app")
    for id_ in [f.id for f in folders] + [app.id]:
        assert id_.isdigit() and int(id_) < 2**63, f"{id_} does not fit in an int64"


def test_resume_by_id_over_http(coze, emulator):
    question = emulator.info["workflows"]["question"]
    events = list(coze.workflows.runs.stream(workflow_id=question, parameters={}))
    interrupt = only([e for e in events if e.event == WorkflowEventType.INTERRUPT], "interrupt")
    body = {
        "workflow_id": question,
        "event_id": interrupt.interrupt.interrupt_data.event_id,
        "resume_data": "Lisbon",
        "interrupt_type": 2,
    }
    call = _http(emulator)
    resumed = call("POST", "/v1/workflows/resume", body)
    assert resumed["code"] == 0, resumed
    assert "Lisbon" in resumed["data"] and resumed["execute_id"]
    again = call("POST", "/v1/workflows/resume", body)
    assert again["code"] == 4000 and "already" in again["msg"]


def test_collaborators_lifecycle_over_http(coze, emulator):
    call = _http(emulator)
    ws = call("POST", "/v1/workspaces", {"name": f"collab-{uuid.uuid4().hex[:4]}"})["data"]["id"]
    assert call("POST", f"/v1/workspaces/{ws}/members", {"users": [{"user_id": "567890"}]})["code"] == 0
    bot = coze.bots.create(space_id=ws, name="collab").bot_id
    collab = {"collaborators": [{"user_id": "567890"}]}
    assert call("POST", f"/v1/bots/{bot}/collaboration_mode", {"collaboration_mode": "collaboration"})["code"] == 0
    assert call("POST", f"/v1/bots/{bot}/collaborators", {"collaborators": [{"user_id": "9"}]})["code"] == 4101
    assert call("POST", f"/v1/bots/{bot}/collaborators", collab)["code"] == 0
    assert call("POST", f"/v1/bots/{bot}/collaboration_mode", {"collaboration_mode": "single"})["code"] == 4000
    assert call("DELETE", f"/v1/bots/{bot}/collaborators/567890")["code"] == 0
    assert call("DELETE", f"/v1/bots/{bot}/collaborators/567890")["code"] == 4200
    assert call("POST", f"/v1/bots/{bot}/collaboration_mode", {"collaboration_mode": "single"})["code"] == 0
    app = call("GET", "/v1/apps", params={"workspace_id": ws})["data"]["items"][0]["id"]
    assert call("POST", f"/v1/apps/{app}/collaborators", collab)["code"] == 0
    assert call("DELETE", f"/v1/apps/{app}/collaborators/567890")["code"] == 0
    wf = emulator.info["workflows"]["greeting"]
    assert call("POST", f"/v1/workflows/{wf}/collaboration_mode", {"collaboration_mode": "collaboration"})["code"] == 0
    # The scripted workflows live in the personal workspace, where nobody else is a member.
    assert call("POST", f"/v1/workflows/{wf}/collaborators", collab)["code"] == 4101


def test_connector_user_configs_and_limits_over_http(emulator):
    call = _http(emulator)
    configs = {"user_id": "42", "configs": [{"key": "region", "enums": ["eu"]}]}
    assert call("POST", "/v1/connectors/1024/user_configs", configs)["code"] == 0
    assert call("POST", "/v1/connectors/1024/user_configs", {"configs": []})["code"] == 4000
    limit = call("POST", "/v1/commerce/benefit/limitations", {"benefit_type": "call_tool_limit", "limit": 5})
    assert limit["code"] == 0 and limit["data"]["limit"] == 5 and limit["data"]["status"] == "valid"
    negative = {"benefit_type": "call_tool_limit", "limit": -1}
    assert call("POST", "/v1/commerce/benefit/limitations", negative)["code"] == 4000

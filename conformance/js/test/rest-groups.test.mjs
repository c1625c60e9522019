// The REST groups @coze/api 1.3.9 has no typed client for, called the way a user of that SDK
// would: through the client's own `get` / `post` / `put` / `makeRequest` methods, which send
// the token and headers of every SDK call and turn a non-zero `code` into the SDK's error
// classes (`BadRequestError` 4000, `PermissionDeniedError` 4101, `NotFoundError` 4200). So these
// tests check that the emulator's envelopes and refusals are ones the official SDK understands.
//
// Groups: apps, API apps and their events, folders, collaborators and collaboration mode of
// bots, workflows and apps, workspace members (and creating / renaming a workspace),
// enterprise and organisation members, bot and workflow versions, workflows list / retrieve,
// node execution details, workflow resume by id, bot unpublish, conversation update / delete,
// message feedback, connectors (install, user configs), copy tasks, benefits and limits, bill
// tasks. @coze/api 1.3.9 lacks all of them (its resources are bots, chat, conversations,
// files, workflows runs/chat, workspaces list, datasets, knowledge, audio, templates,
// variables, users and the WebSocket clients).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  APIError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
  WorkflowEventType,
} from '@coze/api';

import { startEmulator, collect, question, userId, only } from '../support.mjs';

let emu;
let coze;
let ws;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  ws = emu.info.workspace_id;
});
after(() => emu?.stop());

// The SDK's request methods return the whole envelope for these calls.
const get = async (path, params) => ok(await coze.get(path, params));
const post = async (path, body) => ok(await coze.post(path, body));
const put = async (path, body) => ok(await coze.put(path, body));
const del = async (path, body) => ok(await coze.makeRequest(path, 'DELETE', body));

function ok(envelope) {
  assert.equal(envelope.code, 0, JSON.stringify(envelope));
  assert.match(envelope.detail?.logid ?? '', /\S/, `no logid: ${JSON.stringify(envelope)}`);
  return envelope.data;
}

/** Asserts that `promise` is refused with `code` as an error of `cls`; returns the error. */
async function refused(promise, cls, code, needle) {
  let error;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  assert.ok(error, `expected a refusal with ${code}`);
  assert.ok(error instanceof cls, `${error?.constructor?.name}: ${error?.message}`);
  assert.equal(error.code, code, error.message);
  if (needle) assert.match(error.msg, needle);
  assert.ok(error.logid, 'a refusal carries a logid');
  return error;
}

const isInt64 = (id) => /^\d{1,19}$/.test(id) && BigInt(id) < 2n ** 63n;

/** A team workspace with user `member` in it, and the names to find it by. */
async function teamWith(member) {
  const name = `team-${randomUUID().slice(0, 6)}`;
  const { id } = await post('/v1/workspaces', { name, description: 'made by the js suite' });
  const added = await post(`/v1/workspaces/${id}/members`, { users: [{ user_id: member, role_type: 'member' }] });
  assert.deepEqual(added.added_success_user_ids, [member]);
  return { id, name };
}

test('workspaces: create, rename (seen by workspaces.list), members add / list / remove', async () => {
  const { id, name } = await teamWith('123456');
  const listed = await coze.workspaces.list({ page_num: 1, page_size: 50 });
  assert.equal(only(listed.workspaces.filter((w) => w.id === id), name).name, name);
  await put(`/v1/workspaces/${id}`, { name: `${name}-2` });
  const renamed = await coze.workspaces.list({ page_num: 1, page_size: 50 });
  assert.equal(only(renamed.workspaces.filter((w) => w.id === id), 'team').name, `${name}-2`);

  const again = await post(`/v1/workspaces/${id}/members`, { users: [{ user_id: '123456' }, { user_id: 'nobody' }] });
  assert.deepEqual([again.already_joined_user_ids, again.not_exist_user_ids], [['123456'], ['nobody']]);
  const members = await get(`/v1/workspaces/${id}/members`, { page_num: 1, page_size: 10 });
  assert.deepEqual(
    members.items.map((m) => [m.user_id, m.role_type]),
    [
      [emu.info.oauth.user_id, 'owner'],
      ['123456', 'member'],
    ],
  );
  assert.equal(members.total_count, 2);
  const removed = await del(`/v1/workspaces/${id}/members`, { user_ids: ['123456', emu.info.oauth.user_id] });
  assert.deepEqual(removed.removed_success_user_ids, ['123456']);
  assert.deepEqual(removed.owner_not_support_remove_user_ids, [emu.info.oauth.user_id]);
  assert.equal((await get(`/v1/workspaces/${id}/members`)).total_count, 1);

  await refused(coze.post(`/v1/workspaces/${ws}/members`, { users: [{ user_id: '1' }] }), BadRequestError, 4000, /personal/);
  await refused(coze.get('/v1/workspaces/7000000000000000001/members'), NotFoundError, 4200);
  await refused(coze.post('/v1/workspaces', { name: '' }), BadRequestError, 4000, /name/);
});

test('enterprise and organisation members', async () => {
  const enterprise = `ent-${randomUUID().slice(0, 6)}`;
  await post(`/v1/enterprises/${enterprise}/members`, { users: [{ user_id: '42', role: 'enterprise_member' }] });
  await put(`/v1/enterprises/${enterprise}/members/42`, { role: 'enterprise_admin' });
  await refused(coze.put(`/v1/enterprises/${enterprise}/members/43`, { role: 'enterprise_admin' }), NotFoundError, 4200);
  await refused(coze.put(`/v1/enterprises/${enterprise}/members/42`, { role: 'king' }), BadRequestError, 4000, /role/);

  const { organization_id } = await post(`/v1/enterprises/${enterprise}/organizations`, { name: 'R&D' });
  assert.ok(isInt64(organization_id), organization_id);
  await put(`/v1/organizations/${organization_id}`, { name: 'Research', description: 'renamed' });
  await post(`/v1/organizations/${organization_id}/members`, { users: [{ user_id: '7' }] });
  await put(`/v1/organizations/${organization_id}/members/7`, { role: 'admin' });
  await refused(coze.put(`/v1/organizations/${organization_id}/members/8`, { role: 'admin' }), NotFoundError, 4200);
  await refused(coze.put('/v1/organizations/7000000000000000002', { name: 'x' }), NotFoundError, 4200);
});

test('apps and folders: listed per workspace, a folder reads back, ids are int64', async () => {
  const apps = await get('/v1/apps', { workspace_id: ws, page_num: 1, page_size: 10 });
  const app = only(apps.items, 'app');
  assert.equal(apps.total, 1);
  assert.ok(isInt64(app.id) && isInt64(app.folder_id), JSON.stringify(app));
  const folders = await get('/v1/folders', { workspace_id: ws });
  assert.deepEqual(folders.items.map((f) => f.folder_type).sort(), ['development', 'library']);
  assert.equal(folders.total_count, 2);
  for (const f of folders.items) {
    assert.ok(isInt64(f.id), `folder id ${f.id} does not fit in an int64`);
    const back = await get(`/v1/folders/${f.id}`);
    assert.deepEqual([back.id, back.name, back.workspace_id], [f.id, f.name, ws]);
  }
  assert.ok(folders.items.some((f) => f.id === app.folder_id), 'the app lives in one of the folders');
  const dev = await get('/v1/folders', { workspace_id: ws, folder_type: 'development' });
  assert.deepEqual(dev.items.map((f) => f.folder_type), ['development']);

  await refused(coze.get('/v1/apps', { workspace_id: '7000000000000000003' }), NotFoundError, 4200);
  await refused(coze.get('/v1/apps', { workspace_id: ws, page_size: 500 }), BadRequestError, 4000, /page_size/);
  await refused(coze.get('/v1/folders/7000000000000000004'), NotFoundError, 4200);
});

test('API apps and their events', async () => {
  const app = await post('/v1/api_apps', { app_type: 'normal', name: 'hooks' });
  assert.deepEqual([app.app_type, app.name], ['normal', 'hooks']);
  assert.ok(isInt64(app.id));
  await put(`/v1/api_apps/${app.id}`, { name: 'hooks-2', callback_url: 'https://example.com/hook' });
  await post(`/v1/api_apps/${app.id}/events`, { event_types: ['bot.published'] });

  await refused(coze.put(`/v1/api_apps/${app.id}`, { callback_url: 'ftp://x' }), BadRequestError, 4000, /callback_url/);
  await refused(coze.post(`/v1/api_apps/${app.id}/events`, { event_types: [] }), BadRequestError, 4000, /event_types/);
  await refused(coze.post('/v1/api_apps', { app_type: 'weird' }), BadRequestError, 4000, /app_type/);
  await refused(coze.put('/v1/api_apps/7000000000000000005', { name: 'x' }), NotFoundError, 4200);
  await refused(coze.post('/v1/api_apps/7000000000000000005/events', { event_types: ['x'] }), NotFoundError, 4200);
  // A wrong method is a Coze refusal too, which the SDK reports with its message (a bare 405
  // was "Request failed with status code 405").
  await refused(coze.put('/v1/api_apps', { name: 'x' }), BadRequestError, 4000, /PUT is not a method of \/v1\/api_apps/);
});

test('collaborators: single mode refuses, collaboration mode takes workspace members only', async () => {
  const member = '234567';
  const team = await teamWith(member);
  const { bot_id } = await coze.bots.create({ space_id: team.id, name: `collab-${randomUUID().slice(0, 4)}` });

  const collab = { collaborators: [{ user_id: member }] };
  await refused(coze.post(`/v1/bots/${bot_id}/collaborators`, collab), BadRequestError, 4000, /single mode/);
  await post(`/v1/bots/${bot_id}/collaboration_mode`, { collaboration_mode: 'collaboration' });
  const stranger = { collaborators: [{ user_id: '999' }] };
  await refused(coze.post(`/v1/bots/${bot_id}/collaborators`, stranger), PermissionDeniedError, 4101, /not a member/);
  await post(`/v1/bots/${bot_id}/collaborators`, collab);
  // A bot with collaborators cannot go back to single mode; removing them first allows it.
  const single = { collaboration_mode: 'single' };
  await refused(coze.post(`/v1/bots/${bot_id}/collaboration_mode`, single), BadRequestError, 4000, /collaborators/);
  await del(`/v1/bots/${bot_id}/collaborators/${member}`);
  await refused(coze.makeRequest(`/v1/bots/${bot_id}/collaborators/${member}`, 'DELETE'), NotFoundError, 4200);
  await post(`/v1/bots/${bot_id}/collaboration_mode`, single);
  await refused(coze.post(`/v1/bots/${bot_id}/collaboration_mode`, { collaboration_mode: 'shared' }), BadRequestError, 4000);

  // Workflows live in the personal workspace: nobody else is a member there.
  const wf = emu.info.workflows.greeting;
  await post(`/v1/workflows/${wf}/collaboration_mode`, { collaboration_mode: 'collaboration' });
  await refused(coze.post(`/v1/workflows/${wf}/collaborators`, collab), PermissionDeniedError, 4101);
  await refused(coze.post('/v1/workflows/7390000000000999999/collaboration_mode', single), NotFoundError, 4200);

  // Apps take collaborators without a mode switch.
  const app = only((await get('/v1/apps', { workspace_id: team.id })).items, 'team app');
  await post(`/v1/apps/${app.id}/collaborators`, collab);
  await del(`/v1/apps/${app.id}/collaborators/${member}`);
  await refused(coze.post('/v1/apps/7000000000000000006/collaborators', collab), NotFoundError, 4200);
});

test('versions: a bot has draft and online versions, a workflow v0.0.1', async () => {
  const { bot_id } = await coze.bots.create({ space_id: ws, name: `ver-${randomUUID().slice(0, 4)}` });
  const draftOnly = await get(`/v1/bots/${bot_id}/versions`, { publish_status: 'all' });
  assert.deepEqual(draftOnly.items.map((v) => v.publish_status), ['unpublished_draft']);
  await coze.bots.publish({ bot_id, connector_ids: ['1024'] });
  const all = await get(`/v1/bots/${bot_id}/versions`, { publish_status: 'all' });
  assert.deepEqual(all.items.map((v) => v.publish_status), ['published_online', 'unpublished_draft']);
  assert.equal(all.has_more, false);
  const online = await get(`/v1/bots/${bot_id}/versions`);
  assert.equal(only(online.items, 'online version').creator.id, emu.info.oauth.user_id);
  const paged = await get(`/v1/bots/${bot_id}/versions`, { publish_status: 'all', page_size: 1 });
  assert.deepEqual([paged.items.length, paged.has_more], [1, true]);
  await refused(coze.get('/v1/bots/7000000000000000007/versions'), NotFoundError, 4200);
  await refused(coze.get(`/v1/bots/${bot_id}/versions`, { publish_status: 'old' }), BadRequestError, 4000);

  const wf = emu.info.workflows.greeting;
  const versions = await get(`/v1/workflows/${wf}/versions`);
  assert.deepEqual(versions.items.map((v) => [v.version, v.workflow_id]), [['v0.0.1', wf]]);
  assert.deepEqual((await get(`/v1/workflows/${wf}/versions`, { publish_status: 'unpublished' })).items, []);
  await refused(coze.get('/v1/workflows/7390000000000999999/versions'), NotFoundError, 4200);
});

test('workflows: list and retrieve, one node output, resume by id', async () => {
  const wfs = emu.info.workflows;
  const list = await get('/v1/workflows', { workspace_id: ws, page_num: 1, page_size: 30 });
  const names = new Map(list.items.map((w) => [w.workflow_id, w.workflow_name]));
  assert.equal(names.get(wfs.greeting), 'greeting');
  assert.ok(names.has(wfs.question));
  const one = await get(`/v1/workflows/${wfs.greeting}`);
  assert.deepEqual([one.workflow_detail.workflow_id, one.workflow_detail.workflow_name], [wfs.greeting, 'greeting']);
  await refused(coze.get('/v1/workflows/7390000000000999999'), NotFoundError, 4200);

  const run = await coze.workflows.runs.create({ workflow_id: wfs.greeting, parameters: { input: 'Ada' } });
  const node = await get(`/v1/workflows/${wfs.greeting}/run_histories/${run.execute_id}/execute_nodes/${run.execute_id}-end`);
  assert.equal(node.is_finish, true);
  assert.match(node.node_output, /Ada/);
  await refused(
    coze.get(`/v1/workflows/${wfs.greeting}/run_histories/${run.execute_id}/execute_nodes/nope`),
    NotFoundError,
    4200,
  );

  // Resume by id (not streamed): the answer to the question node gives the final output.
  const events = await collect(coze.workflows.runs.stream({ workflow_id: wfs.question, parameters: {} }));
  const interrupt = events.find((e) => e.event === WorkflowEventType.INTERRUPT);
  assert.ok(interrupt, events.map((e) => e.event).join(','));
  const body = { workflow_id: wfs.question, event_id: interrupt.data.interrupt_data.event_id, resume_data: 'Lisbon', interrupt_type: 2 };
  const resumed = await coze.post('/v1/workflows/resume', body);
  assert.equal(resumed.code, 0, JSON.stringify(resumed));
  assert.match(JSON.parse(resumed.data).output, /Lisbon/);
  assert.ok(resumed.execute_id);
  await refused(coze.post('/v1/workflows/resume', body), BadRequestError, 4000, /already/);
  await refused(coze.post('/v1/workflows/resume', { ...body, resume_data: '' }), BadRequestError, 4000, /resume_data/);
});

test('bots unpublish; conversations update and delete; message feedback', async (t) => {
  const { bot_id } = await coze.bots.create({ space_id: ws, name: `unpub-${randomUUID().slice(0, 4)}` });
  await coze.bots.publish({ bot_id, connector_ids: ['1024'] });
  const user = userId(t.name);
  const chat = await coze.chat.createAndPoll({ bot_id, user_id: user, additional_messages: question('hi') });
  assert.equal(chat.chat.status, 'completed');
  await post(`/v1/bots/${bot_id}/unpublish`, { connector_id: '1024' });
  await refused(coze.chat.create({ bot_id, user_id: user, additional_messages: question('again') }), APIError, 4015);

  const conv = await coze.conversations.create({ bot_id: emu.info.bots.echo });
  const renamed = await put(`/v1/conversations/${conv.id}`, { name: 'renamed' });
  assert.equal(renamed.name, 'renamed');
  const msg = await coze.conversations.messages.create(conv.id, { role: 'user', content: 'rate me', content_type: 'text' });
  await post(`/v1/conversations/${conv.id}/messages/${msg.id}/feedback`, { feedback_type: 'like' });
  await del(`/v1/conversations/${conv.id}/messages/${msg.id}/feedback`);
  await refused(
    coze.post(`/v1/conversations/${conv.id}/messages/${msg.id}/feedback`, { feedback_type: 'meh' }),
    BadRequestError,
    4000,
    /feedback_type/,
  );
  await del(`/v1/conversations/${conv.id}`);
  await refused(coze.conversations.retrieve(conv.id), APIError, 4200);
});

test('connectors: install into a workspace, user configs', async () => {
  await post('/v1/connectors/1024/install', { workspace_id: ws });
  await refused(coze.post('/v1/connectors/1024/install', {}), BadRequestError, 4000, /workspace_id/);
  await refused(coze.post('/v1/connectors/1024/install', { workspace_id: '7000000000000000008' }), NotFoundError, 4200);
  await post('/v1/connectors/1024/user_configs', { user_id: '42', configs: [{ key: 'region', enums: ['eu'] }] });
  await refused(coze.post('/v1/connectors/1024/user_configs', { configs: [] }), BadRequestError, 4000, /configs/);
});

test('copy tasks: a copied bot exists as a draft and the task reads back', async () => {
  const source = emu.info.bots.echo;
  const { task_id, copied_entity_id } = await post('/v1/entities/copy_tasks', { entity_type: 'bot', entity_id: source });
  const task = await get(`/v1/entities/copy_tasks/${task_id}`);
  assert.deepEqual(
    [task.task_status, task.source_entity_id, task.target_entity_id, task.target_workspace_id],
    ['successful', source, copied_entity_id, ws],
  );
  const copy = await coze.bots.retrieveNew(copied_entity_id, { is_published: false });
  assert.equal(copy.name, task.entity_name);
  assert.match(copy.name, /\(copy\)$/);
  await refused(coze.post('/v1/entities/copy_tasks', { entity_type: 'bot', entity_id: '7000000000000000009' }), NotFoundError, 4200);
  await refused(coze.post('/v1/entities/copy_tasks', { entity_type: 'bot' }), BadRequestError, 4000, /entity_id/);
  await refused(coze.get('/v1/entities/copy_tasks/7000000000000000010'), NotFoundError, 4200);
});

test('benefits count chats; limits; bill tasks are listed newest first', async (t) => {
  const used = async () => (await get('/v1/commerce/benefit/benefits/get')).benefit_info[0].basic.item_info.used;
  const before = await used();
  await coze.chat.createAndPoll({ bot_id: emu.info.bots.echo, user_id: userId(t.name), additional_messages: question('count me') });
  assert.equal(await used(), before + 1);

  const limit = await post('/v1/commerce/benefit/limitations', { benefit_type: 'call_tool_limit', limit: 5, trigger_unit: 'day' });
  assert.deepEqual([limit.benefit_type, limit.limit, limit.status], ['call_tool_limit', 5, 'valid']);
  await refused(coze.post('/v1/commerce/benefit/limitations', { benefit_type: 'call_tool_limit', limit: -1 }), BadRequestError, 4000);

  const first = await post('/v1/commerce/benefit/bill_tasks', { started_at: 1_700_000_000, ended_at: 1_700_086_400 });
  const second = await post('/v1/commerce/benefit/bill_tasks', {});
  const listed = await get('/v1/commerce/benefit/bill_tasks', { page_num: 1, page_size: 10 });
  assert.deepEqual(listed.task_infos.map((b) => b.task_id), [second.task_id, first.task_id]);
  assert.equal(listed.total, 2);
  assert.equal(listed.task_infos[1].started_at, 1_700_000_000);
  await refused(coze.post('/v1/commerce/benefit/bill_tasks', { started_at: 2, ended_at: 1 }), BadRequestError, 4000);
});

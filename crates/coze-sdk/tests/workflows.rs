//! Workflows and chatflows through the SDK against the emulator: sync run, stream, the
//! interrupt/resume cycle, a failing run, async + poll, list/get, 4200.

use std::time::Duration;

use coze_emulator::{Emulator, EmulatorConfig};
use coze_sdk::{
    ChatEvent, ChatflowRequest, Client, Error, ExecuteStatus, ListWorkflowsRequest, ResumeRequest,
    RetryPolicy, WorkflowEvent, WorkflowId, WorkflowMode, WorkflowRunRequest,
};
use futures_util::StreamExt;

struct Env {
    emu: Emulator,
    client: Client,
}

impl Env {
    async fn start() -> Env {
        let config = EmulatorConfig {
            slow_workflow: Duration::from_millis(600),
            // Shorter than the slow workflow: its synchronous run times out.
            sync_workflow_timeout: Duration::from_millis(200),
            ..Default::default()
        };
        let emu = Emulator::start_with(config).await.expect("emulator");
        let client = Client::builder()
            .base_url(emu.base_url())
            .token(emu.pat())
            .retry(RetryPolicy::none())
            .build()
            .expect("client");
        Env { emu, client }
    }

    fn workflow(&self, name: &str) -> WorkflowId {
        WorkflowId::new(
            self.emu.info()["workflows"][name]
                .as_str()
                .expect("scripted workflow"),
        )
    }
}

fn api_code(err: &Error) -> i64 {
    match err {
        Error::Api(api) => api.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn collect_events(stream: coze_sdk::WorkflowStream) -> Vec<WorkflowEvent> {
    stream.map(|e| e.expect("event")).collect().await
}

#[tokio::test]
async fn run_decodes_the_output_string() {
    let env = Env::start().await;
    let req = WorkflowRunRequest::new(env.workflow("greeting")).parameter("input", "Ada");
    let result = env.client.workflows().run(req).await.unwrap();
    assert_eq!(result.data["output"], "Hello, Ada! (3 characters)");
    assert!(result.raw_data.starts_with('{'));
    assert!(
        result
            .debug_url
            .contains(result.execute_id.as_ref().unwrap().as_str())
    );
    assert!(result.usage.unwrap().token_count > 0);

    let unknown = env
        .client
        .workflows()
        .run(WorkflowRunRequest::new("7390000000000999999"))
        .await
        .unwrap_err();
    assert_eq!(api_code(&unknown), 4200);
    assert!(unknown.hint().unwrap().contains("does not exist"));
}

#[tokio::test]
async fn stream_yields_typed_node_messages_then_done() {
    let env = Env::start().await;
    let req = WorkflowRunRequest::new(env.workflow("greeting")).parameter("input", "Bo");
    let stream = env.client.workflows().stream(req).await.unwrap();
    assert!(stream.logid().is_some());
    let events = collect_events(stream).await;
    assert!(matches!(events.last(), Some(WorkflowEvent::Done { .. })));
    let finished: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            WorkflowEvent::Message(m) if m.node_is_finish => Some(m.node_title.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(finished, ["Greet", "Count", "End"]);
}

#[tokio::test]
async fn interrupt_then_resume_then_stale() {
    let env = Env::start().await;
    let question = env.workflow("question");
    let events = collect_events(
        env.client
            .workflows()
            .stream(WorkflowRunRequest::new(question.clone()))
            .await
            .unwrap(),
    )
    .await;
    let interrupt = events
        .iter()
        .find_map(|e| match e {
            WorkflowEvent::Interrupt(i) => Some(i.clone()),
            _ => None,
        })
        .expect("an interrupt");
    assert_eq!(interrupt.interrupt_data.interrupt_type, 2);
    assert!(matches!(&events[0], WorkflowEvent::Message(m) if m.content.contains("Which city")));

    let resume = ResumeRequest::answer(question.clone(), &interrupt.interrupt_data, "Lisbon");
    let resumed =
        collect_events(env.client.workflows().resume(resume.clone()).await.unwrap()).await;
    let output = resumed.iter().rev().find_map(|e| match e {
        WorkflowEvent::Message(m) if m.node_title == "End" => Some(m.content.clone()),
        _ => None,
    });
    assert!(output.unwrap().contains("Lisbon"));

    let stale = env.client.workflows().resume(resume).await.unwrap_err();
    assert_eq!(api_code(&stale), 4000);
    assert!(stale.to_string().contains("already resumed"), "{stale}");
}

#[tokio::test]
async fn failing_run_keeps_finished_nodes_and_ends_with_the_error() {
    let env = Env::start().await;
    let events = collect_events(
        env.client
            .workflows()
            .stream(WorkflowRunRequest::new(env.workflow("failing")))
            .await
            .unwrap(),
    )
    .await;
    let nodes = events
        .iter()
        .filter(|e| matches!(e, WorkflowEvent::Message(m) if m.node_is_finish))
        .count();
    assert_eq!(nodes, 2);
    match events.last() {
        Some(WorkflowEvent::Error(e)) => assert_eq!(e.error_code, 6006),
        other => panic!("expected an error event last, got {other:?}"),
    }
}

#[tokio::test]
async fn async_run_is_polled_to_success() {
    let env = Env::start().await;
    let slow = env.workflow("slow");
    let sync = env
        .client
        .workflows()
        .run(WorkflowRunRequest::new(slow.clone()))
        .await
        .unwrap_err();
    assert!(sync.to_string().contains("is_async"), "{sync}");

    let run = env
        .client
        .workflows()
        .run_async(WorkflowRunRequest::new(slow.clone()).parameter("input", "Q3"))
        .await
        .unwrap();
    let first = env
        .client
        .workflows()
        .run_history(&slow, &run.execute_id)
        .await
        .unwrap();
    assert_eq!(first.execute_status, ExecuteStatus::Running);
    let done = env
        .client
        .workflows()
        .poll(
            &slow,
            &run.execute_id,
            Duration::from_millis(100),
            Some(Duration::from_secs(10)),
        )
        .await
        .unwrap();
    assert_eq!(done.execute_status, ExecuteStatus::Success);
    assert_eq!(done.output_json()["output"], "Report on Q3: all good.");
    assert_eq!(done.run_mode, 2);

    let short = env
        .client
        .workflows()
        .run_async(WorkflowRunRequest::new(slow.clone()))
        .await
        .unwrap();
    let timeout = env
        .client
        .workflows()
        .poll(
            &slow,
            &short.execute_id,
            Duration::from_millis(50),
            Some(Duration::from_millis(120)),
        )
        .await
        .unwrap_err();
    assert!(matches!(timeout, Error::Timeout { .. }), "{timeout:?}");

    let failing = env.workflow("failing");
    let run = env
        .client
        .workflows()
        .run_async(WorkflowRunRequest::new(failing.clone()))
        .await
        .unwrap();
    let failed = env
        .client
        .workflows()
        .poll(&failing, &run.execute_id, Duration::from_millis(50), None)
        .await
        .unwrap();
    assert_eq!(
        (failed.execute_status, failed.error_code.get()),
        (ExecuteStatus::Fail, 6006)
    );
}

#[tokio::test]
async fn list_pages_and_retrieve() {
    let env = Env::start().await;
    let all = env
        .client
        .workflows()
        .list(ListWorkflowsRequest::new().page_size(2))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    let chatflows = env
        .client
        .workflows()
        .list(ListWorkflowsRequest::new().mode(WorkflowMode::Chatflow))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(chatflows.len(), 1);
    let info = env
        .client
        .workflows()
        .retrieve(&env.workflow("greeting"))
        .await
        .unwrap();
    assert_eq!(info.workflow_name, "greeting");
    assert_eq!(
        api_code(
            &env.client
                .workflows()
                .retrieve(&WorkflowId::new("1"))
                .await
                .unwrap_err()
        ),
        4200
    );
}

#[tokio::test]
async fn chatflow_asks_then_answers() {
    let env = Env::start().await;
    let flow = env.workflow("chatflow");
    let first = env
        .client
        .chatflows()
        .stream(ChatflowRequest::new(flow.clone()).user_message("plan a trip"))
        .await
        .unwrap();
    let first: Vec<ChatEvent> = first.map(|e| e.expect("event")).collect().await;
    let paused = first
        .iter()
        .find_map(|e| match e {
            ChatEvent::ChatRequiresAction(chat) => Some(chat.clone()),
            _ => None,
        })
        .expect("the chatflow asks a question");
    let asked = first
        .iter()
        .any(|e| matches!(e, ChatEvent::MessageCompleted(m) if m.content.contains("Where")));
    assert!(asked);

    let second = ChatflowRequest::new(flow)
        .conversation(paused.conversation_id.clone())
        .user_message("Kyoto");
    let second: Vec<ChatEvent> = env
        .client
        .chatflows()
        .stream(second)
        .await
        .unwrap()
        .map(|e| e.expect("event"))
        .collect()
        .await;
    let answer = second.iter().find_map(|e| match e {
        ChatEvent::MessageCompleted(m) => Some(m.content.clone()),
        _ => None,
    });
    assert!(answer.unwrap().starts_with("A trip to Kyoto"));
    assert!(matches!(
        second.last(),
        Some(ChatEvent::Done { debug_url: Some(_) })
    ));

    let empty = env
        .client
        .chatflows()
        .stream(ChatflowRequest::new(env.workflow("chatflow")))
        .await
        .unwrap_err();
    assert!(matches!(empty, Error::InvalidRequest(_)));
}

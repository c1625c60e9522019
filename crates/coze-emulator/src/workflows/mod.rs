//! The scripted workflows and the chatflow: what they emit for given inputs, and the runs
//! the emulator remembers (async executions, pending interrupts, chatflow questions).
//!
//! The scripts are pure data ([`Step`] lists); `routes/workflows.rs` turns them into the
//! wire forms (sync `data` string, SSE events, run histories).
//!
//! | id | name | behaviour |
//! | --- | --- | --- |
//! | [`GREETING`] | `greeting` | streams three nodes (one in chunks) and an End node; output `{"output":"Hello, <input>! …"}` |
//! | [`QUESTION`] | `weather_question` | asks "Which city …?" (Interrupt, type 2); `stream_resume` with the city finishes it |
//! | [`FAILING`] | `failing_parser` | two nodes, then an `Error` event (code 6006) |
//! | [`SLOW`] | `slow_report` | three nodes spread over the configured slow duration; a sync run refuses it (use `is_async` or stream) |
//! | [`CHATFLOW`] | `trip_planner` | chatflow: asks where to travel (`requires_action`), answers when called again |

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

pub const GREETING: &str = "7390000000000000101";
pub const QUESTION: &str = "7390000000000000102";
pub const FAILING: &str = "7390000000000000103";
pub const SLOW: &str = "7390000000000000104";
pub const CHATFLOW: &str = "7390000000000000110";

/// Which script a workflow follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Greeting,
    Question,
    Failing,
    Slow,
    Chatflow,
}

/// A scripted workflow as `/v1/workflows` lists it.
#[derive(Debug, Clone, Copy)]
pub struct WorkflowDef {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub kind: Kind,
}

impl WorkflowDef {
    /// `workflow` or `chatflow` (the `workflow_mode` filter).
    pub fn mode(&self) -> &'static str {
        if self.kind == Kind::Chatflow {
            "chatflow"
        } else {
            "workflow"
        }
    }
}

/// Every scripted workflow, in list order.
pub const ALL: [WorkflowDef; 5] = [
    WorkflowDef {
        id: GREETING,
        name: "greeting",
        description: "Greets `input` over three nodes and finishes",
        kind: Kind::Greeting,
    },
    WorkflowDef {
        id: QUESTION,
        name: "weather_question",
        description: "Asks which city at a question node, then reports its weather",
        kind: Kind::Question,
    },
    WorkflowDef {
        id: FAILING,
        name: "failing_parser",
        description: "Runs two nodes, then fails in its code node (error 6006)",
        kind: Kind::Failing,
    },
    WorkflowDef {
        id: SLOW,
        name: "slow_report",
        description: "Takes long enough that it must run asynchronously (is_async) or stream",
        kind: Kind::Slow,
    },
    WorkflowDef {
        id: CHATFLOW,
        name: "trip_planner",
        description: "Chatflow: asks where you travel, then plans the trip",
        kind: Kind::Chatflow,
    },
];

/// The workflow with this id.
pub fn find(id: &str) -> Option<&'static WorkflowDef> {
    ALL.iter().find(|w| w.id == id)
}

/// One thing a run emits.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A node message; `finish` marks the node's last chunk.
    Message {
        node: &'static str,
        content: String,
        finish: bool,
    },
    /// A question node stops the run.
    Interrupt {
        node: &'static str,
        question: String,
    },
    /// The run fails.
    Error { code: i64, message: String },
    /// A heartbeat while a slow node works.
    Ping,
    /// A pause before the next step (the slow workflow).
    Wait(Duration),
}

/// What a run does: its steps and, when it finishes, its output (a JSON object).
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub steps: Vec<Step>,
    pub output: Option<Value>,
}

impl Script {
    /// How long the script's pauses take in all.
    pub fn duration(&self) -> Duration {
        self.steps
            .iter()
            .map(|s| {
                if let Step::Wait(d) = s {
                    *d
                } else {
                    Duration::ZERO
                }
            })
            .sum()
    }

    /// The error the script ends with, if any.
    pub fn error(&self) -> Option<(i64, &str)> {
        self.steps.iter().find_map(|s| match s {
            Step::Error { code, message } => Some((*code, message.as_str())),
            _ => None,
        })
    }

    /// The question it stops at, if any.
    pub fn interrupt(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| match s {
            Step::Interrupt { question, .. } => Some(question.as_str()),
            _ => None,
        })
    }
}

/// The text value of a parameter: strings as they are, other JSON as JSON.
fn param(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The end node's message: the output object as a JSON string, as Coze sends it.
fn end(output: &Value) -> Step {
    Step::Message {
        node: "End",
        content: output.to_string(),
        finish: true,
    }
}

/// The script of `kind` for a fresh run with `params` (`slow` is the slow workflow's length).
pub fn run(kind: Kind, params: &Map<String, Value>, slow: Duration) -> Script {
    match kind {
        Kind::Greeting | Kind::Chatflow => {
            let input = param(params, "input").unwrap_or_else(|| "world".into());
            let chars = input.chars().count();
            let output = json!({"output": format!("Hello, {input}! ({chars} characters)")});
            Script {
                steps: vec![
                    Step::Message {
                        node: "Greet",
                        content: "Hello, ".into(),
                        finish: false,
                    },
                    Step::Message {
                        node: "Greet",
                        content: input.clone(),
                        finish: false,
                    },
                    Step::Message {
                        node: "Greet",
                        content: "!".into(),
                        finish: true,
                    },
                    Step::Message {
                        node: "Count",
                        content: format!("The input has {chars} characters."),
                        finish: true,
                    },
                    end(&output),
                ],
                output: Some(output),
            }
        }
        Kind::Question => Script {
            steps: vec![Step::Interrupt {
                node: "Question",
                question: "Which city should I check the weather for?".into(),
            }],
            output: None,
        },
        Kind::Failing => Script {
            steps: vec![
                Step::Message {
                    node: "Fetch",
                    content: "Fetched 3 records.".into(),
                    finish: true,
                },
                Step::Message {
                    node: "Clean",
                    content: "Dropped 1 empty record.".into(),
                    finish: true,
                },
                Step::Error {
                    code: 6006,
                    message: "node Parse: code node timed out after 60 s".into(),
                },
            ],
            output: None,
        },
        Kind::Slow => {
            let topic = param(params, "input").unwrap_or_else(|| "the quarter".into());
            let third = slow / 3;
            let output = json!({"output": format!("Report on {topic}: all good.")});
            Script {
                steps: vec![
                    Step::Ping,
                    Step::Wait(third),
                    Step::Message {
                        node: "Collect",
                        content: "Collected the data.".into(),
                        finish: true,
                    },
                    Step::Ping,
                    Step::Wait(third),
                    Step::Message {
                        node: "Analyse",
                        content: "Analysed the data.".into(),
                        finish: true,
                    },
                    Step::Ping,
                    Step::Wait(slow.saturating_sub(third * 2)),
                    end(&output),
                ],
                output: Some(output),
            }
        }
    }
}

/// `script` at `pace`: each node waits one first-token delay before its first message (and a
/// question or an error before it is raised), each further chunk of a node one delta
/// interval. The slow workflow's own waits stay.
pub fn paced(script: Script, pace: crate::pace::Pace) -> Script {
    let (first, interval) = (pace.first_token(), pace.delta_interval());
    let mut steps = Vec::with_capacity(script.steps.len() * 2);
    let mut in_node = false;
    for step in script.steps {
        let wait = match &step {
            Step::Message { finish, .. } => {
                let wait = if in_node { interval } else { first };
                in_node = !finish;
                wait
            }
            Step::Interrupt { .. } | Step::Error { .. } => first,
            Step::Ping | Step::Wait(_) => Duration::ZERO,
        };
        if !wait.is_zero() {
            steps.push(Step::Wait(wait));
        }
        steps.push(step);
    }
    Script { steps, ..script }
}

/// The script after the question workflow's interrupt is answered with `answer`.
pub fn resume(answer: &str) -> Script {
    let city = answer.trim();
    let report = format!("The weather in {city} is sunny, 23 °C.");
    let output = json!({"output": report});
    Script {
        steps: vec![
            Step::Message {
                node: "Forecast",
                content: report,
                finish: true,
            },
            end(&output),
        ],
        output: Some(output),
    }
}

/// How a run was started (`run_mode` in run histories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Sync = 0,
    Stream = 1,
    Async = 2,
}

/// A run the emulator remembers, for `/run_histories/{execute_id}`.
#[derive(Debug, Clone)]
pub struct Execution {
    pub workflow_id: String,
    pub mode: RunMode,
    pub bot_id: String,
    pub connector_uid: String,
    pub logid: String,
    pub created_at: i64,
    /// When the run is (or was) finished; `Running` until then.
    pub finishes: Instant,
    pub script: Script,
}

/// An interrupt waiting for `stream_resume`.
#[derive(Debug, Clone)]
pub struct PendingInterrupt {
    pub workflow_id: String,
    pub execute_id: String,
}

/// Workflow state in the store.
#[derive(Debug, Default)]
pub struct WorkflowStore {
    pub executions: HashMap<String, Execution>,
    /// Keyed by event id; removed when resumed, so a second resume is refused.
    pub interrupts: HashMap<String, PendingInterrupt>,
    /// Conversations whose chatflow asked a question and waits for the answer, with the
    /// user's first message.
    pub chatflow_questions: HashMap<String, String>,
}

/// Lists the scripted workflows in `Emulator::info()` under `"workflows"`:
/// `{"greeting": id, "question": id, "failing": id, "slow": id, "chatflow": id}`.
pub fn seed(store: &mut crate::state::Store) {
    let ids = json!({
        "greeting": GREETING,
        "question": QUESTION,
        "failing": FAILING,
        "slow": SLOW,
        "chatflow": CHATFLOW,
    });
    store.info_extras.insert("workflows".into(), ids);
}

/// The `debug_url` of a run, shaped like Coze's.
pub fn debug_url(workflow_id: &str, execute_id: &str, space_id: &str) -> String {
    format!(
        "https://www.coze.cn/work_flow?execute_id={execute_id}&space_id={space_id}&workflow_id={workflow_id}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_uses_the_input_parameter() {
        let mut params = Map::new();
        params.insert("input".into(), json!("Ada"));
        let script = run(Kind::Greeting, &params, Duration::ZERO);
        assert_eq!(
            script.output,
            Some(json!({"output": "Hello, Ada! (3 characters)"}))
        );
        assert!(script.steps.contains(&Step::Message {
            node: "Greet",
            content: "Ada".into(),
            finish: false
        }));
        assert!(script.error().is_none() && script.interrupt().is_none());
    }

    #[test]
    fn slow_script_spends_the_configured_time() {
        let script = run(Kind::Slow, &Map::new(), Duration::from_millis(900));
        assert_eq!(script.duration(), Duration::from_millis(900));
    }

    #[test]
    fn pace_adds_a_first_token_per_node_and_an_interval_per_chunk() {
        let pace = crate::pace::Pace::Custom {
            first_token_ms: 100,
            delta_interval_ms: 10,
        };
        // Greeting: node Greet (3 chunks), Count, End.
        let script = paced(run(Kind::Greeting, &Map::new(), Duration::ZERO), pace);
        assert_eq!(script.duration(), Duration::from_millis(3 * 100 + 2 * 10));
        let instant = paced(
            run(Kind::Greeting, &Map::new(), Duration::ZERO),
            crate::Pace::Instant,
        );
        assert_eq!(instant.duration(), Duration::ZERO);
        assert_eq!(instant.steps.len(), 5);
    }

    #[test]
    fn failing_and_question_scripts_have_no_output() {
        let failing = run(Kind::Failing, &Map::new(), Duration::ZERO);
        assert_eq!(failing.error().map(|e| e.0), Some(6006));
        assert!(failing.output.is_none());
        let question = run(Kind::Question, &Map::new(), Duration::ZERO);
        assert!(question.interrupt().is_some_and(|q| q.contains("city")));
        assert_eq!(
            resume(" Paris ").output,
            Some(json!({"output": "The weather in Paris is sunny, 23 °C."}))
        );
    }

    #[test]
    fn ids_are_unique_and_found() {
        for def in ALL {
            assert_eq!(find(def.id).map(|d| d.name), Some(def.name));
        }
        assert!(find("1").is_none());
    }
}

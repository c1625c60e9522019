//! The Glif client against the emulator's fake Glif.

use std::collections::BTreeMap;
use std::time::Duration;

use coze_emulator::Emulator;
use coze_gateway::glif::{
    GlifClient, GlifConfig, GlifError, InputKind, Inputs, OutputType, RunRequest,
};

fn config(emu: &Emulator) -> GlifConfig {
    let info = emu.info();
    let token = info["glif"]["token"]
        .as_str()
        .expect("token in info")
        .to_owned();
    GlifConfig::default()
        .with_base_url(info["glif"]["base_url"].as_str().expect("base url"))
        .expect("valid base")
        .token(token)
}

fn named(pairs: &[(&str, &str)]) -> Inputs {
    Inputs::Named(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    )
}

#[tokio::test]
async fn every_output_type_is_read() {
    let emu = Emulator::start().await.unwrap();
    let client = GlifClient::new(config(&emu)).unwrap();
    let cases = [
        ("glif-image", OutputType::Image, ".png"),
        ("glif-audio", OutputType::Audio, ".mp3"),
        ("glif-json", OutputType::Json, "\"facts\":3"),
        ("glif-html", OutputType::Html, "<h1>owls</h1>"),
    ];
    for (id, ty, needle) in cases {
        let inputs = Inputs::Positional(vec!["owls".into(), "ink".into()]);
        let run = client
            .run(&RunRequest::new(id).inputs(inputs))
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(run.output_type, Some(ty), "{id}");
        let out = run.output.clone().expect("an output");
        assert!(out.contains(needle), "{id}: {out}");
        assert_eq!(run.price, Some(0.25));
        assert_eq!(run.image_url().is_some(), id == "glif-image");
    }
    let text = client
        .run(&RunRequest::new("glif-text").inputs(named(&[("topic", "owls"), ("mood", "gloomy")])))
        .await
        .unwrap();
    assert_eq!(text.output_type, Some(OutputType::Text));
    assert_eq!(
        text.output.as_deref(),
        Some("A gloomy poem about owls: roses bloom, foxes roam.")
    );
    assert_eq!(
        text.inputs_used.get("topic").map(String::as_str),
        Some("owls")
    );
    let video = client
        .run(
            &RunRequest::new("glif-video").inputs(Inputs::Positional(vec![
                "a".into(),
                "http://x/y.png".into(),
            ])),
        )
        .await
        .unwrap();
    assert_eq!(video.output_type, Some(OutputType::Video));
    let images = client
        .run(&RunRequest::new("glif-images").inputs(Inputs::Positional(vec!["owls".into()])))
        .await
        .unwrap();
    assert_eq!(
        images.outputs.len(),
        2,
        "an array output keeps every element"
    );
    assert_eq!(images.output.as_ref(), images.outputs.first());
}

#[tokio::test]
async fn an_error_on_http_200_is_a_failure() {
    let emu = Emulator::start().await.unwrap();
    let client = GlifClient::new(config(&emu)).unwrap();
    let err = client
        .run(&RunRequest::new("glif-failing").inputs(Inputs::Positional(vec!["x".into()])))
        .await
        .unwrap_err();
    match err {
        GlifError::RunFailed { glif_id, message } => {
            assert_eq!(glif_id, "glif-failing");
            assert!(message.contains("overloaded"), "{message}");
        }
        other => panic!("expected RunFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn strict_mode_refuses_missing_inputs_and_lenient_mode_takes_defaults() {
    let emu = Emulator::start().await.unwrap();
    let client = GlifClient::new(config(&emu)).unwrap();
    let only_topic = RunRequest::new("glif-text").inputs(named(&[("topic", "owls")]));
    let err = client.run(&only_topic).await.unwrap_err();
    assert!(matches!(err, GlifError::MissingInput { .. }), "{err:?}");
    let err = client.run_checked(&only_topic).await.unwrap_err();
    match err {
        GlifError::MissingInput { missing, .. } => assert_eq!(missing, vec!["mood"]),
        other => panic!("expected MissingInput, got {other:?}"),
    }
    let lenient = client.run(&only_topic.clone().strict(false)).await.unwrap();
    assert!(
        lenient.output.unwrap().contains("cheerful"),
        "the default mood was used"
    );
}

#[tokio::test]
async fn inputs_are_read_from_the_glifs_api() {
    let emu = Emulator::start().await.unwrap();
    let client = GlifClient::new(config(&emu)).unwrap();
    let info = client.glif("glif-text").await.unwrap();
    assert_eq!(info.input_names(), vec!["topic", "mood"]);
    assert_eq!(info.inputs[0].kind, InputKind::Text);
    assert_eq!(
        info.inputs[0].label.as_deref(),
        Some("What the poem is about")
    );
    assert_eq!(info.inputs[1].kind, InputKind::Multipick);
    assert_eq!(info.inputs[1].default.as_deref(), Some("cheerful"));
    let video = client.glif("glif-video").await.unwrap();
    assert_eq!(video.inputs[1].kind, InputKind::Image);
    let err = client.glif("no-such-glif").await.unwrap_err();
    assert!(
        matches!(err, GlifError::UnknownGlif { ref id } if id == "no-such-glif"),
        "{err:?}"
    );
    let err = client
        .run_checked(&RunRequest::new("glif-text").inputs(named(&[("topik", "x")])))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GlifError::UnknownInput { .. }), "{err:?}");
    assert!(text.contains("topic, mood"), "{text}");
}

#[tokio::test]
async fn bad_token_unknown_glif_and_no_token() {
    let emu = Emulator::start().await.unwrap();
    let wrong = GlifClient::new(config(&emu).token("glif_wrong")).unwrap();
    let req = RunRequest::new("glif-text").inputs(named(&[("topic", "a"), ("mood", "b")]));
    let err = wrong.run(&req).await.unwrap_err();
    assert!(
        matches!(err, GlifError::TokenRejected { status: 401 }),
        "{err:?}"
    );
    assert!(!format!("{err:?}{err}").contains("glif_wrong"));

    let client = GlifClient::new(config(&emu)).unwrap();
    let err = client.run(&RunRequest::new("nope")).await.unwrap_err();
    assert!(matches!(err, GlifError::UnknownGlif { .. }), "{err:?}");

    let mut no_token = config(&emu);
    no_token.token = None;
    let err = GlifClient::new(no_token)
        .unwrap()
        .run(&req)
        .await
        .unwrap_err();
    assert!(matches!(err, GlifError::MissingToken), "{err:?}");
    assert!(err.hint().unwrap().contains("GLIF_API_TOKEN"));
}

#[tokio::test]
async fn a_slow_glif_times_out_and_a_dead_glif_is_unavailable() {
    let emu = Emulator::start().await.unwrap();
    emu.state().store().plugins.slow_delay = Duration::from_secs(5);
    let client = GlifClient::new(config(&emu).timeout(Duration::from_millis(300))).unwrap();
    let started = std::time::Instant::now();
    let err = client
        .run(&RunRequest::new("glif-slow").inputs(Inputs::Positional(vec!["x".into()])))
        .await
        .unwrap_err();
    assert!(matches!(err, GlifError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(err.is_transient());

    // A port that was free a moment ago: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = GlifConfig::default()
        .with_base_url(&format!("http://127.0.0.1:{port}/glif"))
        .unwrap()
        .token("t");
    let err = GlifClient::new(dead)
        .unwrap()
        .run(&RunRequest::new("glif-text"))
        .await
        .unwrap_err();
    assert!(matches!(err, GlifError::Unavailable { .. }), "{err:?}");
}

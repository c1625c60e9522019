//! Voiceprint groups: `client.voiceprint_groups()`, groups of voiceprints to tell speakers
//! apart (a device's family, say), and speaker identification against a group. Calls of the
//! official SDKs outside the OpenAPI document (`audio.voiceprint_groups` in cozepy,
//! `audio.voiceprintGroups` in @coze/api).

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{ApiRequest, Client, MultipartPart};
use crate::error::{Error, Result};
use crate::listing::number_pages;
use crate::pagination::Pages;
use crate::request::path_segment;
use crate::types::extras::{VoiceSample, Voiceprint, VoiceprintGroup, VoiceprintScore};

/// Voiceprint group endpoints. Get one with [`Client::voiceprint_groups`].
#[derive(Debug, Clone, Copy)]
pub struct VoiceprintGroupsApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Voiceprint groups, their voiceprints, and speaker identification.
    pub fn voiceprint_groups(&self) -> VoiceprintGroupsApi<'_> {
        VoiceprintGroupsApi { client: self }
    }
}

#[derive(Deserialize)]
struct Created {
    #[serde(default)]
    id: String,
}

#[derive(Deserialize)]
struct NumberPage<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
    #[serde(default)]
    total: i64,
}

#[derive(Deserialize)]
struct Scores {
    #[serde(default)]
    feature_score_list: Vec<VoiceprintScore>,
}

fn sample_parts(sample: VoiceSample, parts: &mut Vec<MultipartPart>) -> Result<()> {
    if sample.audio.is_empty() {
        return Err(Error::InvalidRequest(
            "the voice sample is empty; pass a WAV or PCM recording".into(),
        ));
    }
    parts.push(MultipartPart::file(
        "file",
        format!("sample.{}", sample.format),
        Bytes::from(sample.audio),
    ));
    for (name, value) in [
        ("sample_rate", sample.sample_rate),
        ("channel", sample.channel),
    ] {
        if let Some(v) = value {
            parts.push(MultipartPart::text(name, v.to_string()));
        }
    }
    Ok(())
}

async fn done(client: &Client, api: ApiRequest) -> Result<()> {
    let _: Value = client.send(api).await?;
    Ok(())
}

impl VoiceprintGroupsApi<'_> {
    /// Creates a group; returns its id.
    ///
    /// # Errors
    /// API errors (4000 a name beyond 20 characters) and transport errors.
    pub async fn create(&self, name: &str, desc: Option<&str>) -> Result<String> {
        let api = ApiRequest::post("/v1/audio/voiceprint_groups")
            .json(&json!({"name": name, "desc": desc}))?;
        let created: Created = self.client.send(api).await?;
        Ok(created.id)
    }

    /// Renames a group and/or changes its description.
    ///
    /// # Errors
    /// API errors (4200 unknown group) and transport errors.
    pub async fn update(
        &self,
        group_id: &str,
        name: Option<&str>,
        desc: Option<&str>,
    ) -> Result<()> {
        let mut body = serde_json::Map::new();
        if let Some(n) = name {
            body.insert("name".into(), json!(n));
        }
        if let Some(d) = desc {
            body.insert("desc".into(), json!(d));
        }
        let api = ApiRequest::put(format!(
            "/v1/audio/voiceprint_groups/{}",
            path_segment(group_id)
        ))
        .json(&body)?
        .idempotent(true);
        done(self.client, api).await
    }

    /// Deletes a group and its voiceprints.
    ///
    /// # Errors
    /// API errors (4200 unknown group) and transport errors.
    pub async fn delete(&self, group_id: &str) -> Result<()> {
        let api = ApiRequest::delete(format!(
            "/v1/audio/voiceprint_groups/{}",
            path_segment(group_id)
        ))
        .idempotent(true);
        done(self.client, api).await
    }

    /// Your groups (those whose name starts with `name`, when given) as a lazy stream of pages.
    pub fn list(&self, name: Option<&str>) -> Pages<VoiceprintGroup> {
        let name = name.map(str::to_string);
        number_pages(
            self.client,
            1,
            50,
            move |page, size| {
                Ok(ApiRequest::get("/v1/audio/voiceprint_groups")
                    .query_opt("name", name.clone())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: NumberPage<VoiceprintGroup>| (p.items, None, u64::try_from(p.total).ok()),
        )
    }

    /// Adds a voiceprint made from a sample to a group (at most 10 a group); returns its id.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty sample; API errors (4000 no voice in the sample,
    /// a full group, a bad name; 4200 unknown group) and transport errors.
    pub async fn add_voiceprint(
        &self,
        group_id: &str,
        name: &str,
        desc: Option<&str>,
        sample: VoiceSample,
    ) -> Result<String> {
        let mut parts = vec![MultipartPart::text("name", name.to_string())];
        if let Some(d) = desc {
            parts.push(MultipartPart::text("desc", d.to_string()));
        }
        sample_parts(sample, &mut parts)?;
        let api = ApiRequest::post(format!(
            "/v1/audio/voiceprint_groups/{}/features",
            path_segment(group_id)
        ))
        .multipart(parts);
        let created: Created = self.client.send(api).await?;
        Ok(created.id)
    }

    /// Changes a voiceprint's name, description and/or sample.
    ///
    /// # Errors
    /// API errors (4200 unknown group or voiceprint, 4000 no voice in the sample) and
    /// transport errors.
    pub async fn update_voiceprint(
        &self,
        group_id: &str,
        feature_id: &str,
        name: Option<&str>,
        desc: Option<&str>,
        sample: Option<VoiceSample>,
    ) -> Result<()> {
        let mut parts = Vec::new();
        if let Some(n) = name {
            parts.push(MultipartPart::text("name", n.to_string()));
        }
        if let Some(d) = desc {
            parts.push(MultipartPart::text("desc", d.to_string()));
        }
        if let Some(s) = sample {
            sample_parts(s, &mut parts)?;
        }
        let api = ApiRequest::put(format!(
            "/v1/audio/voiceprint_groups/{}/features/{}",
            path_segment(group_id),
            path_segment(feature_id)
        ))
        .multipart(parts)
        .idempotent(true);
        done(self.client, api).await
    }

    /// Deletes a voiceprint.
    ///
    /// # Errors
    /// API errors (4200 unknown group or voiceprint) and transport errors.
    pub async fn delete_voiceprint(&self, group_id: &str, feature_id: &str) -> Result<()> {
        let api = ApiRequest::delete(format!(
            "/v1/audio/voiceprint_groups/{}/features/{}",
            path_segment(group_id),
            path_segment(feature_id)
        ))
        .idempotent(true);
        done(self.client, api).await
    }

    /// The voiceprints of a group as a lazy stream of pages.
    pub fn voiceprints(&self, group_id: &str) -> Pages<Voiceprint> {
        let group = group_id.to_string();
        number_pages(
            self.client,
            1,
            50,
            move |page, size| {
                Ok(ApiRequest::get(format!(
                    "/v1/audio/voiceprint_groups/{}/features",
                    path_segment(&group)
                ))
                .query("page_num", page.to_string())
                .query("page_size", size.to_string()))
            },
            |p: NumberPage<Voiceprint>| (p.items, None, u64::try_from(p.total).ok()),
        )
    }

    /// Who is speaking: the group's voiceprints scored against a sample, best first (the
    /// `top_k` best when given).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty sample; API errors (4000 no voice in the sample,
    /// 4200 unknown group) and transport errors.
    pub async fn identify(
        &self,
        group_id: &str,
        sample: VoiceSample,
        top_k: Option<u32>,
    ) -> Result<Vec<VoiceprintScore>> {
        let mut parts = Vec::new();
        if let Some(k) = top_k {
            parts.push(MultipartPart::text("top_k", k.to_string()));
        }
        sample_parts(sample, &mut parts)?;
        let api = ApiRequest::post(format!(
            "/v1/audio/voiceprint_groups/{}/speaker_identify",
            path_segment(group_id)
        ))
        .multipart(parts);
        let scores: Scores = self.client.send(api).await?;
        Ok(scores.feature_score_list)
    }
}

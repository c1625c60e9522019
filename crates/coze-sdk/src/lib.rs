//! coze-sdk

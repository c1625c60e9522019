//! coze-gateway

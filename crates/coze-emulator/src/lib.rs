//! coze-emulator

//! Rendering an event's message offline, as Event Viewer would show it.
//!
//! (Skeleton: templates and `%%N` expansion land with the messages issue.)

use crate::model::Event;

/// The message Event Viewer would show for `event`: the source's own rendered
/// message when it has one, else the known template filled in, else provider,
/// id and data values. Never empty.
pub fn render(event: &Event) -> String {
    if let Some(m) = &event.message {
        if !m.trim().is_empty() {
            return m.clone();
        }
    }
    let mut s = format!("{} {}", event.provider_label(), event.event_id);
    for d in &event.data {
        s.push_str(" | ");
        if let Some(n) = &d.name {
            s.push_str(n);
            s.push('=');
        }
        s.push_str(&d.value);
    }
    s
}

//! Drawing the screens: header, workspace list, the editor's Auth and Env
//! tabs, footer. Overlays (forms, confirmations, help) are in
//! [`super::ui_overlay`]. [`draw`] returns the clickable areas it drew.

use super::auth::{scope_short, AuthRow, RowScope};
use super::changes::{shown, Layer, LayerExt};
use super::cred_picker::effective;
use super::model::{Console, Hit, Overlay, Screen, Tab};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

/// Smallest usable terminal.
pub const MIN: (u16, u16) = (60, 16);

/// Styles, with colour only when enabled (`NO_COLOR` turns it off; the
/// selection stays visible through reverse video).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    /// Selected row or focused picker: reverse video (visible without colour).
    pub fn sel(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    /// Headers and values set at the row's own scope.
    pub fn bold(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    /// Secondary text (scopes, hints).
    pub fn dim(self) -> Style {
        self.fg(Color::DarkGray)
    }
    /// Success (`set`, running, added diff lines).
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    /// Refusals and failures.
    pub fn bad(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Agent names, borders of popups, status messages.
    pub fn accent(self) -> Style {
        self.fg(Color::Cyan)
    }
    /// Staged-change markers.
    pub fn warn(self) -> Style {
        self.fg(Color::Yellow)
    }
}

/// Draws the whole console; returns the clickable areas.
pub fn draw(f: &mut Frame, c: &Console) -> Vec<(Rect, Hit)> {
    let t = Theme { color: c.color };
    let area = f.area();
    let mut hits = Vec::new();
    if area.width < MIN.0 || area.height < MIN.1 {
        let msg = format!(
            "terminal too small: {}×{} (need at least {}×{}); q quits",
            area.width, area.height, MIN.0, MIN.1
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return hits;
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header(f, c, t, head);
    match c.screen {
        Screen::Workspaces => workspaces(f, c, t, body, &mut hits),
        Screen::Editor => editor(f, c, t, body, &mut hits),
    }
    footer(f, c, t, foot);
    super::ui_overlay::draw(f, c, t, area, &mut hits);
    hits
}

fn header(f: &mut Frame, c: &Console, t: Theme, area: Rect) {
    let engine = match &c.instances {
        None => "engine: not connected".to_string(),
        Some(v) => format!(
            "engine: {} instance{}",
            v.len(),
            if v.len() == 1 { "" } else { "s" }
        ),
    };
    let mut right = vec![Span::styled(engine, t.dim())];
    if c.dirty() {
        right.push(Span::raw("  "));
        right.push(Span::styled(
            format!("● {} staged", c.staged.len()),
            t.warn(),
        ));
    }
    let rw: usize = right.iter().map(|s| s.width()).sum();
    let left = format!(" jackin console  {}", c.path.display());
    let room = (area.width as usize).saturating_sub(rw + 1);
    let mut spans = vec![Span::styled(fit(&left, room), t.bold())];
    let used = fit(&left, room).chars().count();
    spans.push(Span::raw(" ".repeat(room.saturating_sub(used) + 1)));
    spans.extend(right);
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn footer(f: &mut Frame, c: &Console, t: Theme, area: Rect) {
    let keys = match (c.screen, c.tab) {
        (Screen::Workspaces, _) => "↑↓/jk move  Enter open  s save  ? help  q quit",
        (Screen::Editor, Tab::Auth) => {
            "↑↓/jk move  Enter edit  Tab env  Esc back  s save  ? help  q quit"
        }
        (Screen::Editor, Tab::Env) => {
            "↑↓ move  Enter edit  a add  d remove  Tab auth  Esc back  s save  ?"
        }
    };
    let line = if c.status.is_empty() {
        Line::from(Span::styled(format!(" {keys}"), t.dim()))
    } else {
        Line::from(Span::styled(format!(" {}", c.status), t.accent()))
    };
    f.render_widget(Paragraph::new(line), area);
}

/// Cuts `s` to `w` characters, ending with `…` when cut.
pub fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else if w == 0 {
        String::new()
    } else {
        let mut o: String = s.chars().take(w - 1).collect();
        o.push('…');
        o
    }
}

/// First visible index so that `sel` shows in `height` rows.
pub fn offset(sel: usize, height: usize) -> usize {
    if height == 0 || sel < height {
        0
    } else {
        sel + 1 - height
    }
}

fn workspaces(f: &mut Frame, c: &Console, t: Theme, area: Rect, hits: &mut Vec<(Rect, Hit)>) {
    let names = c.workspaces();
    let [list, detail] = Layout::vertical([Constraint::Min(4), Constraint::Length(8)]).areas(area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" Workspaces ({}) ", names.len()));
    let inner = block.inner(list);
    f.render_widget(block, list);
    if names.is_empty() {
        let p = Paragraph::new(vec![
            Line::raw("No saved workspaces."),
            Line::raw("Create one: jackin workspace create NAME --workdir PATH"),
        ])
        .wrap(Wrap { trim: true });
        f.render_widget(p, inner);
    } else {
        let height = inner.height.saturating_sub(1) as usize;
        let off = offset(c.ws_sel, height);
        let rows: Vec<Row> = names
            .iter()
            .enumerate()
            .skip(off)
            .take(height)
            .map(|(i, n)| {
                let ws = &c.view.workspaces[*n];
                let inst = match &c.instances {
                    None => "-".to_string(),
                    Some(_) => {
                        let v = c.instances_of(n);
                        let run = v.iter().filter(|x| x.state == "running").count();
                        format!("{run} running / {}", v.len())
                    }
                };
                let r = Row::new(vec![
                    n.to_string(),
                    ws.workdir.display().to_string(),
                    ws.default_role.clone().unwrap_or_else(|| "-".into()),
                    inst,
                ]);
                hits.push((
                    Rect::new(inner.x, inner.y + 1 + (i - off) as u16, inner.width, 1),
                    Hit::Workspace(i),
                ));
                if i == c.ws_sel {
                    r.style(t.sel())
                } else {
                    r
                }
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Percentage(25),
                Constraint::Percentage(40),
                Constraint::Percentage(18),
                Constraint::Percentage(17),
            ],
        )
        .header(Row::new(["NAME", "WORKDIR", "DEFAULT ROLE", "INSTANCES"]).style(t.bold()));
        f.render_widget(table, inner);
    }
    let Some(w) = c.workspace() else {
        f.render_widget(Block::default().borders(Borders::ALL), detail);
        return;
    };
    let ws = &c.view.workspaces[w];
    let mut lines = vec![Line::from(vec![
        Span::styled("workdir  ", t.dim()),
        Span::raw(ws.workdir.display().to_string()),
    ])];
    let mounts: Vec<String> = ws
        .mounts
        .iter()
        .map(|m| {
            let mut s = m.src.display().to_string();
            if m.dst != m.src {
                s.push_str(&format!(":{}", m.dst.display()));
            }
            if m.readonly {
                s.push_str(":ro");
            }
            s
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled("mounts   ", t.dim()),
        Span::raw(if mounts.is_empty() {
            "-".into()
        } else {
            mounts.join(", ")
        }),
    ]));
    match &c.instances {
        None => lines.push(Line::from(vec![
            Span::styled("running  ", t.dim()),
            Span::raw("engine: not connected (instances not shown)"),
        ])),
        Some(_) => {
            let v = c.instances_of(w);
            if v.is_empty() {
                lines.push(Line::from(vec![
                    Span::styled("running  ", t.dim()),
                    Span::raw("no instances"),
                ]));
            }
            for i in v {
                lines.push(Line::from(vec![
                    Span::styled("instance ", t.dim()),
                    Span::raw(format!("{}  {}  ", i.id, i.role)),
                    Span::styled(
                        i.state.clone(),
                        if i.state == "running" {
                            t.ok()
                        } else {
                            t.dim()
                        },
                    ),
                ]));
            }
        }
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {w} "));
    f.render_widget(Paragraph::new(lines).block(block), detail);
}

fn editor(f: &mut Frame, c: &Console, t: Theme, area: Rect, hits: &mut Vec<(Rect, Hit)>) {
    let w = c.workspace().unwrap_or("");
    let [tabs, main] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let mut spans = vec![Span::raw(" ")];
    let mut x = tabs.x + 1;
    for tab in Tab::ALL {
        let label = format!(" {} ", tab.title());
        let width = label.chars().count() as u16;
        hits.push((Rect::new(x, tabs.y, width, 1), Hit::Tab(tab)));
        x += width + 1;
        spans.push(Span::styled(
            label,
            if tab == c.tab {
                t.sel().patch(t.bold())
            } else {
                t.dim()
            },
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(format!("  workspace {w}"), t.bold()));
    f.render_widget(Paragraph::new(Line::from(spans)), tabs);
    match c.tab {
        Tab::Auth => auth_tab(f, c, t, main, hits),
        Tab::Env => env_tab(f, c, t, main, hits),
    }
}

fn auth_tab(f: &mut Frame, c: &Console, t: Theme, area: Rect, hits: &mut Vec<(Rect, Hit)>) {
    let rows = c.auth_rows();
    let [list, detail] = Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(area);
    let block = Block::default().borders(Borders::ALL).title(" Auth modes ");
    let inner = block.inner(list);
    f.render_widget(block, list);
    let height = inner.height.saturating_sub(1) as usize;
    let off = offset(c.auth_sel, height);
    let trs: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(off)
        .take(height)
        .map(|(i, r)| {
            hits.push((
                Rect::new(inner.x, inner.y + 1 + (i - off) as u16, inner.width, 1),
                Hit::AuthRow(i),
            ));
            let first = i == 0 || rows[i - 1].agent.name != r.agent.name;
            let mode_style = if r.set_here.is_some() {
                t.bold()
            } else {
                Style::default()
            };
            let row = Row::new(vec![
                Line::from(Span::styled(
                    if first { r.agent.name } else { "" },
                    t.accent(),
                )),
                Line::from(Span::styled(
                    r.scope_label(),
                    if r.editable() {
                        Style::default()
                    } else {
                        t.dim()
                    },
                )),
                Line::from(vec![
                    Span::styled(r.effective.as_str(), mode_style),
                    Span::styled(if staged_row(c, r) { " ●" } else { "" }, t.warn()),
                ]),
                Line::from(Span::styled(scope_short(&r.from), t.dim())),
                Line::from(r.source.as_ref().map(|s| s.to_string()).unwrap_or_default()),
            ]);
            if i == c.auth_sel {
                row.style(t.sel())
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        trs,
        [
            Constraint::Length(8),
            Constraint::Length(20),
            Constraint::Length(11),
            Constraint::Length(9),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["AGENT", "SCOPE", "MODE", "SET BY", "SOURCE (sync)"]).style(t.bold()));
    f.render_widget(table, inner);
    let lines = rows
        .get(c.auth_sel)
        .map(|r| detail_lines(c, t, r))
        .unwrap_or_default();
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL)),
        detail,
    );
}

/// Whether a staged change touches this row's own scope.
fn staged_row(c: &Console, r: &AuthRow) -> bool {
    let w = c.workspace().unwrap_or("");
    c.staged.iter().any(|ch| {
        matches!(ch, super::changes::Change::Agent { workspace, role, agent, .. }
            if workspace == w && role.as_deref() == r.scope.role() && agent == r.agent.name
                && r.scope != RowScope::Global)
    })
}

/// The two lines under the Auth table: the resolution trace, then the
/// source folder or the credential the mode needs (reference only).
fn detail_lines(c: &Console, t: Theme, r: &AuthRow) -> Vec<Line<'static>> {
    let mut trace = vec![Span::styled("chain: ", t.dim())];
    for (k, (label, v)) in r.trace.iter().enumerate() {
        if k > 0 {
            trace.push(Span::styled(" > ", t.dim()));
        }
        let v = v.map(|m| m.as_str()).unwrap_or("-");
        trace.push(Span::raw(format!("{label} {v}")));
    }
    if r.from == crate::resolve::Scope::Default {
        trace.push(Span::styled(" > default sync", t.dim()));
    }
    let second = if let Some(var) = r.agent.var_for(r.effective) {
        let w = c.workspace().unwrap_or("");
        let role = match &r.scope {
            RowScope::Role(x) => Some(x.as_str()),
            _ => None,
        };
        let layers = Layer::order(w, role);
        match effective(&c.view, &layers, var) {
            Some((l, raw)) => Line::from(vec![
                Span::styled("needs ", t.dim()),
                Span::raw(format!("{var} = {} from {}", shown(&raw), l.table())),
            ]),
            None => Line::from(vec![
                Span::styled("needs ", t.dim()),
                Span::styled(format!("{var}: unset in every layer"), t.bad()),
            ]),
        }
    } else if let Some(s) = &r.source {
        Line::from(vec![
            Span::styled("source ", t.dim()),
            Span::raw(s.to_string()),
        ])
    } else {
        Line::from(Span::styled(
            "forwards nothing; revokes earlier logins",
            t.dim(),
        ))
    };
    vec![Line::from(trace), second]
}

/// Cheap resolution status for the Env tab: `$NAME` set or unset on this
/// host; `op://` and `keyring:` are checked only by the Auth form.
fn host_status(c: &Console, t: Theme, raw: &str) -> Line<'static> {
    use crate::env::EnvValue;
    match EnvValue::parse(raw) {
        Ok(EnvValue::HostVar(n)) => match c.host.get(&n) {
            Some(v) if !v.is_empty() => Line::styled("set", t.ok()),
            _ => Line::styled("unset", t.bad()),
        },
        Ok(EnvValue::Literal(_)) => Line::styled("literal", t.dim()),
        Ok(_) => Line::styled("not checked", t.dim()),
        Err(_) => Line::styled("invalid", t.bad()),
    }
}

fn layer_label(l: &Layer) -> String {
    match l {
        Layer::Global => "global".into(),
        Layer::Role(r) => format!("role {r}"),
        Layer::Workspace(_) => "workspace".into(),
        Layer::WorkspaceRole(_, r) => format!("ws × role {r}"),
    }
}

fn env_tab(f: &mut Frame, c: &Console, t: Theme, area: Rect, hits: &mut Vec<(Rect, Hit)>) {
    let rows = c.env_rows();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Operator env (lowest layer first; later wins) ");
    let inner = block.inner(area);
    f.render_widget(block, area);
    if rows.is_empty() {
        f.render_widget(
            Paragraph::new("No variables in any layer. a adds one."),
            inner,
        );
        return;
    }
    let height = inner.height.saturating_sub(1) as usize;
    let off = offset(c.env_sel, height);
    let trs: Vec<Row> = rows
        .iter()
        .enumerate()
        .skip(off)
        .take(height)
        .map(|(i, r)| {
            hits.push((
                Rect::new(inner.x, inner.y + 1 + (i - off) as u16, inner.width, 1),
                Hit::EnvRow(i),
            ));
            let row = Row::new(vec![
                Line::from(layer_label(&r.layer)),
                Line::from(r.name.clone()),
                Line::from(shown(&r.raw)),
                host_status(c, t, &r.raw),
            ]);
            if i == c.env_sel {
                row.style(t.sel())
            } else {
                row
            }
        })
        .collect();
    let table = Table::new(
        trs,
        [
            Constraint::Length(21),
            Constraint::Length(20),
            Constraint::Min(16),
            Constraint::Length(11),
        ],
    )
    .header(Row::new(["LAYER", "NAME", "VALUE (reference)", "HOST CHECK"]).style(t.bold()));
    f.render_widget(table, inner);
}

/// Whether an overlay is open (for callers that draw a cursor).
pub fn overlay_open(c: &Console) -> bool {
    !matches!(c.overlay, Overlay::None)
}

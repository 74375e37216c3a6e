//! Drawing the overlays: the Auth edit form (with its folder browser), the
//! Env form, the save confirmation with its diff, the quit question, help
//! and errors. Secrets never reach the screen: literals are masked and no
//! resolved value exists in the console at all.

use super::changes::{shown, DiffLine};
use super::cred_picker::{effective, CredPicker, EnvForm, SourceKind};
use super::form::{AuthForm, Field};
use super::fs_browser::Entry;
use super::model::{Console, Hit, Overlay};
use super::ui::{fit, offset, Theme};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

/// Help text shown by `?` (also the basis of `jackin console --help`).
pub const HELP: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move; PgUp/PgDn, Home/End jump"),
    ("Enter", "open a workspace / edit the selected row"),
    ("Esc", "back / cancel the form"),
    ("Tab", "switch tabs (Auth, Env); next field in a form"),
    ("← →  h l", "change the value of a picker in a form"),
    ("s", "save staged changes (shows the diff first)"),
    ("u", "discard all staged changes"),
    ("a / d", "Env tab: add / remove a variable"),
    ("x", "form: clear the source folder at this scope"),
    ("mouse", "click selects, click again opens; wheel scrolls"),
    ("?", "this help"),
    ("q  Ctrl-C", "quit (asks first when changes are staged)"),
];

/// A centred rectangle of at most `w`×`h` inside `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn popup(f: &mut Frame, area: Rect, title: &str, t: Theme) -> Rect {
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.accent())
        .title(Span::styled(format!(" {title} "), t.bold()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

/// Draws the open overlay, if any.
pub fn draw(f: &mut Frame, c: &Console, t: Theme, area: Rect, hits: &mut Vec<(Rect, Hit)>) {
    match &c.overlay {
        Overlay::None => {}
        Overlay::Help => help(f, t, area),
        Overlay::Auth(form) => match &form.browser {
            Some(_) => browser(f, form, t, area, hits),
            None => auth_form(f, c, form, t, area, hits),
        },
        Overlay::Env(form) => env_form(f, form, t, area),
        Overlay::ConfirmSave(d) => confirm_save(f, c, d, t, area),
        Overlay::ConfirmQuit => {
            let r = centered(area, 56, 7);
            let inner = popup(f, r, "Unsaved changes", t);
            let lines = vec![
                Line::raw(format!(
                    "{} staged change{} not saved.",
                    c.staged.len(),
                    if c.staged.len() == 1 { " is" } else { "s are" }
                )),
                Line::raw(""),
                Line::styled("s save first   d discard and quit   Esc stay", t.bold()),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        }
        Overlay::Error(msg) => {
            let r = centered(area, 72, 12);
            let inner = popup(f, r, "Refused", t);
            let mut lines: Vec<Line> = msg
                .lines()
                .map(|l| Line::styled(l.to_string(), t.bad()))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("any key to close", t.dim()));
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
    }
}

fn help(f: &mut Frame, t: Theme, area: Rect) {
    let r = centered(area, 70, HELP.len() as u16 + 5);
    let inner = popup(f, r, "Keys", t);
    let mut lines: Vec<Line> = HELP
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:<12}"), t.bold()),
                Span::raw(*v),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Changes are staged; nothing is written until you save.",
        t.dim(),
    ));
    f.render_widget(Paragraph::new(lines), inner);
}

/// A picker line: every option, the chosen one highlighted.
fn options<'a>(
    label: &'a str,
    items: Vec<String>,
    chosen: usize,
    focus: bool,
    t: Theme,
) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!("{}{label:<8}", if focus { "▸ " } else { "  " }),
        if focus { t.bold() } else { Style::default() },
    )];
    for (i, it) in items.into_iter().enumerate() {
        let style = if i == chosen {
            if focus {
                t.sel()
            } else {
                t.bold()
            }
        } else {
            t.dim()
        };
        let txt = if i == chosen {
            format!("[{it}]")
        } else {
            format!(" {it} ")
        };
        spans.push(Span::styled(txt, style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

fn field_line<'a>(label: &'a str, value: Vec<Span<'a>>, focus: bool, t: Theme) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!("{}{label:<8}", if focus { "▸ " } else { "  " }),
        if focus { t.bold() } else { Style::default() },
    )];
    spans.extend(value);
    Line::from(spans)
}

fn cred_lines<'a>(
    p: &CredPicker,
    var: &str,
    focus: Option<usize>,
    c: &Console,
    t: Theme,
) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let layers: Vec<String> = p.layers.iter().map(|l| l.table()).collect();
    lines.push(field_line(
        "Layer",
        vec![Span::styled(
            format!("‹ {} ›", layers[p.layer]),
            if focus == Some(0) { t.sel() } else { t.bold() },
        )],
        focus == Some(0),
        t,
    ));
    let kinds: Vec<String> = SourceKind::ALL
        .iter()
        .map(|k| k.label().to_string())
        .collect();
    let ki = SourceKind::ALL
        .iter()
        .position(|k| *k == p.kind)
        .unwrap_or(0);
    lines.push(options("Source", kinds, ki, focus == Some(1), t));
    let shown_input = p.shown_input();
    let cursor = if focus == Some(2) { "▏" } else { "" };
    lines.push(field_line(
        "Value",
        vec![
            Span::styled(
                format!("{shown_input}{cursor}"),
                if focus == Some(2) {
                    t.bold()
                } else {
                    Style::default()
                },
            ),
            Span::styled(
                if p.input.is_empty() {
                    format!("  {}", p.kind.hint())
                } else {
                    String::new()
                },
                t.dim(),
            ),
        ],
        focus == Some(2),
        t,
    ));
    let now = match effective(&c.view, &p.layers, var) {
        Some((l, raw)) => format!("now: {} from {}", shown(&raw), l.table()),
        None => "now: unset in every layer".to_string(),
    };
    lines.push(Line::styled(format!("          {now}"), t.dim()));
    lines
}

fn auth_form(
    f: &mut Frame,
    c: &Console,
    form: &AuthForm,
    t: Theme,
    area: Rect,
    hits: &mut Vec<(Rect, Hit)>,
) {
    let scope = match form.scope.role() {
        Some(r) => format!("workspace {} × role {r}", form.workspace),
        None => format!("workspace {}", form.workspace),
    };
    let mut lines: Vec<(Option<Field>, Line)> = Vec::new();
    let opts: Vec<String> = form
        .options
        .iter()
        .map(|o| {
            o.map(|m| m.as_str().to_string())
                .unwrap_or_else(|| "inherit".into())
        })
        .collect();
    lines.push((
        Some(Field::Mode),
        options("Mode", opts, form.mode_idx, form.focus == Field::Mode, t),
    ));
    lines.push((
        None,
        Line::styled(format!("          inherit = {}", form.inherited), t.dim()),
    ));
    if let Some(var) = form.needed_var() {
        lines.push((
            None,
            Line::from(vec![
                Span::raw("  Needs   "),
                Span::styled(var, t.bold()),
                Span::styled(" (must resolve before staging)", t.dim()),
            ]),
        ));
        let focus = match form.focus {
            Field::Layer => Some(0),
            Field::Kind => Some(1),
            Field::Value => Some(2),
            _ => None,
        };
        let cl = cred_lines(&form.cred, var, focus, c, t);
        for (i, l) in cl.into_iter().enumerate() {
            let fld = [Some(Field::Layer), Some(Field::Kind), Some(Field::Value)]
                .get(i)
                .copied()
                .flatten();
            lines.push((fld, l));
        }
    }
    if form.is_sync() {
        let home = c.host.get("HOME").map(String::as_str);
        lines.push((
            Some(Field::Source),
            field_line(
                "Folder",
                vec![
                    Span::raw(form.source_line(home)),
                    Span::styled("  Enter browse · x clear", t.dim()),
                ],
                form.focus == Field::Source,
                t,
            ),
        ));
    }
    if !form.is_sync() && form.needed_var().is_none() {
        lines.push((
            None,
            Line::styled(
                "  ignore forwards nothing and revokes earlier logins",
                t.dim(),
            ),
        ));
    }
    lines.push((None, Line::raw("")));
    if let Some(e) = &form.error {
        lines.push((None, Line::styled(format!("✗ {e}"), t.bad())));
        lines.push((None, Line::raw("")));
    }
    let r = centered(area, 78, lines.len() as u16 + 4);
    let inner = popup(f, r, &format!("{} · {scope}", form.agent.name), t);
    let body_h = inner.height.saturating_sub(1);
    for (i, (fld, _)) in lines.iter().enumerate() {
        if let Some(fld) = fld {
            if (i as u16) < body_h {
                hits.push((
                    Rect::new(inner.x, inner.y + i as u16, inner.width, 1),
                    Hit::FormField(*fld),
                ));
            }
        }
    }
    let body: Vec<Line> = lines.into_iter().map(|(_, l)| l).collect();
    f.render_widget(
        Paragraph::new(body).wrap(Wrap { trim: false }),
        Rect::new(inner.x, inner.y, inner.width, body_h),
    );
    f.render_widget(
        Paragraph::new(Line::styled(
            fit(
                "↑↓ field  ←→ change  Enter stage  Esc cancel",
                inner.width as usize,
            ),
            t.dim(),
        )),
        Rect::new(inner.x, inner.y + body_h, inner.width, 1),
    );
}

fn browser(f: &mut Frame, form: &AuthForm, t: Theme, area: Rect, hits: &mut Vec<(Rect, Hit)>) {
    let Some(b) = &form.browser else { return };
    let r = centered(area, 78, 20);
    let inner = popup(f, r, &format!("{} source folder", form.agent.name), t);
    let mut lines = vec![Line::styled(
        fit(&b.dir.display().to_string(), inner.width as usize),
        t.bold(),
    )];
    let list_h = inner.height.saturating_sub(4) as usize;
    let off = offset(b.sel, list_h);
    for (i, e) in b.entries.iter().enumerate().skip(off).take(list_h) {
        let label = match e {
            Entry::This => "./  (choose this folder)".to_string(),
            Entry::Parent => "../".to_string(),
            Entry::Dir(n) => format!("{n}/"),
        };
        hits.push((
            Rect::new(inner.x, inner.y + 1 + (i - off) as u16, inner.width, 1),
            Hit::BrowserEntry(i),
        ));
        lines.push(Line::styled(
            fit(&label, inner.width as usize),
            if i == b.sel {
                t.sel()
            } else {
                Style::default()
            },
        ));
    }
    while lines.len() < list_h + 1 {
        lines.push(Line::raw(""));
    }
    match &b.error {
        Some(e) => lines.push(Line::styled(format!("✗ {e}"), t.bad())),
        None => lines.push(Line::styled(
            format!(
                "needs {} inside the folder",
                form.agent.credential_file().name
            ),
            t.dim(),
        )),
    }
    let body_h = inner.height.saturating_sub(1);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        Rect::new(inner.x, inner.y, inner.width, body_h),
    );
    f.render_widget(
        Paragraph::new(Line::styled(
            fit(
                "Enter open  s choose highlighted  ← parent  Esc back",
                inner.width as usize,
            ),
            t.dim(),
        )),
        Rect::new(inner.x, inner.y + body_h, inner.width, 1),
    );
}

fn env_form(f: &mut Frame, form: &EnvForm, t: Theme, area: Rect) {
    let title = match &form.existing {
        Some((l, n)) => format!("{n} in {}", l.table()),
        None => "New operator env variable".into(),
    };
    let mut lines = Vec::new();
    if form.existing.is_none() {
        lines.push(field_line(
            "Layer",
            vec![Span::styled(
                format!("‹ {} ›", form.picker.layer().table()),
                if form.focus == 0 { t.sel() } else { t.bold() },
            )],
            form.focus == 0,
            t,
        ));
        let cursor = if form.focus == 1 { "▏" } else { "" };
        lines.push(field_line(
            "Name",
            vec![Span::styled(format!("{}{cursor}", form.name), t.bold())],
            form.focus == 1,
            t,
        ));
    }
    let kinds: Vec<String> = SourceKind::ALL
        .iter()
        .map(|k| k.label().to_string())
        .collect();
    let ki = SourceKind::ALL
        .iter()
        .position(|k| *k == form.picker.kind)
        .unwrap_or(0);
    lines.push(options("Source", kinds, ki, form.focus == 2, t));
    let cursor = if form.focus == 3 { "▏" } else { "" };
    lines.push(field_line(
        "Value",
        vec![
            Span::styled(format!("{}{cursor}", form.picker.shown_input()), t.bold()),
            Span::styled(
                if form.picker.input.is_empty() {
                    format!("  {}", form.picker.kind.hint())
                } else {
                    String::new()
                },
                t.dim(),
            ),
        ],
        form.focus == 3,
        t,
    ));
    lines.push(Line::raw(""));
    if let Some(e) = &form.error {
        lines.push(Line::styled(format!("✗ {e}"), t.bad()));
        lines.push(Line::raw(""));
    }
    let r = centered(area, 76, lines.len() as u16 + 4);
    let inner = popup(f, r, &title, t);
    let body_h = inner.height.saturating_sub(1);
    f.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        Rect::new(inner.x, inner.y, inner.width, body_h),
    );
    f.render_widget(
        Paragraph::new(Line::styled(
            fit(
                "↑↓ field  ←→ change  Enter stage  Esc cancel",
                inner.width as usize,
            ),
            t.dim(),
        )),
        Rect::new(inner.x, inner.y + body_h, inner.width, 1),
    );
}

fn confirm_save(f: &mut Frame, c: &Console, d: &[DiffLine], t: Theme, area: Rect) {
    let r = centered(area, 100, 30);
    let inner = popup(f, r, &format!("Save {}?", c.path.display()), t);
    let body_h = inner.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for l in d.iter().take(body_h) {
        lines.push(match l {
            DiffLine::Same(s) => {
                Line::styled(fit(&format!("  {s}"), inner.width as usize), t.dim())
            }
            DiffLine::Added(s) => {
                Line::styled(fit(&format!("+ {s}"), inner.width as usize), t.ok())
            }
            DiffLine::Removed(s) => {
                Line::styled(fit(&format!("- {s}"), inner.width as usize), t.bad())
            }
        });
    }
    if d.len() > body_h {
        let last = lines.len() - 1;
        lines[last] = Line::styled(format!("… {} more lines", d.len() - body_h + 1), t.dim());
    }
    f.render_widget(
        Paragraph::new(lines),
        Rect::new(inner.x, inner.y, inner.width, body_h as u16),
    );
    f.render_widget(
        Paragraph::new(Line::styled(
            fit(
                "y/Enter save (validated, atomic)   n/Esc back",
                inner.width as usize,
            ),
            t.bold(),
        )),
        Rect::new(
            inner.x,
            inner.y + inner.height.saturating_sub(1),
            inner.width,
            1,
        ),
    );
}

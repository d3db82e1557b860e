//! HTML building blocks for the dashboard: escaping (every piece of data goes through [`esc`]),
//! the page frame with navigation, and the stylesheet (high contrast, responsive, focus visible).

use axum::response::Html;

/// Escapes text for HTML content and double-quoted attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Who is logged in, for the navigation bar and the logout form.
#[derive(Debug, Clone)]
pub struct Nav<'a> {
    /// User name.
    pub username: &'a str,
    /// Dutch role label.
    pub role: &'a str,
    /// CSRF token for the logout form.
    pub csrf: &'a str,
}

/// A hidden CSRF field for a form.
pub fn csrf_field(token: &str) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(token))
}

/// The stylesheet, served as [`STYLESHEET_PATH`] (no inline styles: the CSP allows only `'self'`).
pub const STYLE: &str = "
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1a1a1a;background:#f6f7f9;line-height:1.5;font-size:1rem}
header{background:#123c69;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
header a{color:#fff}
header form{display:inline}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem}
h2{font-size:1.25rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #c8ccd2;padding:.45rem .6rem;text-align:left;vertical-align:top}
th{background:#e8ecf1}
.card{background:#fff;border:1px solid #c8ccd2;border-radius:6px;padding:1rem;margin:1rem 0}
.sev-high{color:#fff;background:#a4161a;padding:0 .4rem;border-radius:3px}
.sev-medium{color:#1a1a1a;background:#ffd166;padding:0 .4rem;border-radius:3px}
.sev-low{color:#fff;background:#35618f;padding:0 .4rem;border-radius:3px}
.muted{color:#4a4f57}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:.75rem}
.actions form{display:flex;flex-wrap:wrap;gap:.4rem;align-items:flex-end;background:#f0f2f5;padding:.5rem;border-radius:4px}
label{display:flex;flex-direction:column;font-size:.9rem}
input,button,select{font:inherit;padding:.35rem .5rem;min-height:2.5rem}
button{background:#123c69;color:#fff;border:0;border-radius:4px;cursor:pointer}
header button{background:#fff;color:#123c69}
a:focus,button:focus,input:focus{outline:3px solid #f4a259;outline-offset:2px}
.error{background:#fde2e1;border:1px solid #a4161a;padding:.5rem;border-radius:4px}
.scroll{overflow-x:auto}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;color:#123c69;padding:.5rem;z-index:10}
.chart{max-width:640px;background:#fff}
@media (max-width:48rem){th,td{padding:.35rem}main{padding:.5rem}}
";

/// Where the stylesheet is served.
pub const STYLESHEET_PATH: &str = "/static/zorgsignaal.css";

/// A whole Dutch page with the navigation bar (when logged in) and `body` in `<main>`.
pub fn page(title: &str, nav: Option<&Nav<'_>>, body: &str) -> Html<String> {
    let nav = nav.map_or_else(String::new, |n| {
        format!(
            "<nav aria-label=\"Hoofdmenu\"><a href=\"/\">Zorgsignaal</a></nav>\
             <div>{} ({}) <form method=\"post\" action=\"/logout\">{}<button type=\"submit\">Uitloggen</button></form></div>",
            esc(n.username),
            esc(n.role),
            csrf_field(n.csrf)
        )
    });
    Html(format!(
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Zorgsignaal</title><link rel=\"stylesheet\" href=\"{STYLESHEET_PATH}\"></head>\
         <body><a class=\"skip\" href=\"#inhoud\">Naar de inhoud</a><header>{}</header><main id=\"inhoud\">{}</main></body></html>",
        esc(title),
        if nav.is_empty() {
            "<span>Zorgsignaal</span>".to_string()
        } else {
            nav
        },
        body
    ))
}

/// A severity badge.
pub fn severity_badge(severity: crate::domain::Severity) -> String {
    format!(
        "<span class=\"sev-{}\">{}</span>",
        severity.as_str(),
        esc(severity.dutch())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup_and_quotes() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }

    #[test]
    fn pages_declare_dutch() {
        assert!(page("T", None, "").0.contains("<html lang=\"nl\">"));
    }
}

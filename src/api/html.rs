//! What every dashboard page shares: the frame the templates extend
//! (`templates/dashboard/base.html`: title, navigation, logout form) and the stylesheet (high contrast, responsive, focus visible). Escaping is askama's:
//! every value a template prints is escaped; the one hand-written SVG (`chart.rs`) uses the same
//! escaper through `report::svg::escape`.

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

/// The frame of a page: its title and, when logged in, the navigation bar.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    /// Page title (`… · Zorgsignaal`).
    pub title: &'a str,
    /// Who is logged in; `None` on the login and error pages.
    pub nav: Option<Nav<'a>>,
}

impl Frame<'_> {
    /// Where the stylesheet is served, for the template.
    pub fn stylesheet(&self) -> &'static str {
        STYLESHEET_PATH
    }
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

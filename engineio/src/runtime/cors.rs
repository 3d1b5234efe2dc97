//! Cross-origin resource sharing for the Engine.IO endpoint.

use super::http::HttpRequest;

/// Which origins may call the endpoint from a browser.
#[derive(Clone, Debug, Default)]
pub enum Origins {
    /// No CORS headers are sent (same-origin pages and non-browser clients only).
    #[default]
    None,
    /// Any origin (the request's `Origin` is echoed back).
    Any,
    /// Only these origins (exact `scheme://host[:port]` strings).
    List(Vec<String>),
}

/// CORS settings.
#[derive(Clone, Debug, Default)]
pub struct Cors {
    /// Allowed origins.
    pub origins: Origins,
    /// Send `Access-Control-Allow-Credentials: true` (cookies, `withCredentials`).
    pub credentials: bool,
    /// Headers a preflight may allow; empty means whatever the preflight asks for.
    pub allowed_headers: Vec<String>,
    /// `Access-Control-Max-Age` in seconds for preflights (0: not sent).
    pub max_age_s: u32,
}

impl Cors {
    /// Any origin, with credentials.
    pub fn any() -> Self {
        Self {
            origins: Origins::Any,
            credentials: true,
            ..Self::default()
        }
    }

    /// Only the given origins, with credentials.
    pub fn origins(list: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            origins: Origins::List(list.into_iter().map(Into::into).collect()),
            credentials: true,
            ..Self::default()
        }
    }

    fn allowed_origin(&self, req: &HttpRequest) -> Option<String> {
        let origin = req.header("origin")?;
        match &self.origins {
            Origins::None => None,
            Origins::Any => Some(origin),
            Origins::List(list) => list.contains(&origin).then_some(origin),
        }
    }

    /// Headers for an ordinary response to `req`.
    pub fn headers(&self, req: &HttpRequest) -> Vec<(String, String)> {
        let Some(origin) = self.allowed_origin(req) else {
            return Vec::new();
        };
        let mut headers = vec![
            ("Access-Control-Allow-Origin".to_owned(), origin),
            ("Vary".to_owned(), "Origin".to_owned()),
        ];
        if self.credentials {
            headers.push((
                "Access-Control-Allow-Credentials".to_owned(),
                "true".to_owned(),
            ));
        }
        headers
    }

    /// Headers for a preflight (`OPTIONS`) response to `req`.
    pub fn preflight_headers(&self, req: &HttpRequest) -> Vec<(String, String)> {
        let mut headers = self.headers(req);
        if headers.is_empty() {
            return headers;
        }
        headers.push((
            "Access-Control-Allow-Methods".to_owned(),
            "GET, POST, OPTIONS".to_owned(),
        ));
        let allow_headers = if self.allowed_headers.is_empty() {
            req.header("access-control-request-headers")
        } else {
            Some(self.allowed_headers.join(", "))
        };
        if let Some(h) = allow_headers {
            headers.push(("Access-Control-Allow-Headers".to_owned(), h));
        }
        if self.max_age_s > 0 {
            headers.push((
                "Access-Control-Max-Age".to_owned(),
                self.max_age_s.to_string(),
            ));
        }
        headers
    }
}

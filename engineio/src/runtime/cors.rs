//! Cross-origin resource sharing for the Engine.IO endpoint.

use crate::proto::http::HttpRequest;

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
        self.allows(&origin).then_some(origin)
    }

    /// Whether a request with this `Origin` gets CORS headers.
    fn allows(&self, origin: &str) -> bool {
        match &self.origins {
            Origins::None => false,
            Origins::Any => true,
            Origins::List(list) => list.iter().any(|o| o == origin),
        }
    }

    /// Headers for an ordinary response to `req`.
    pub fn headers(&self, req: &HttpRequest) -> Vec<(String, String)> {
        let Some(origin) = self.allowed_origin(req) else {
            return Vec::new();
        };
        self.response_headers(Some(&origin))
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// [`Cors::headers`] for a request with this `Origin` header (several joined with `, `),
    /// borrowed: nothing is allocated per response.
    pub(crate) fn response_headers<'a>(&self, origin: Option<&'a str>) -> CorsHeaders<'a> {
        match origin {
            Some(origin) if self.allows(origin) => CorsHeaders {
                origin: Some(origin),
                credentials: self.credentials,
            },
            _ => CorsHeaders::default(),
        }
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

/// The CORS headers of an ordinary response, in the order they are sent.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CorsHeaders<'a> {
    origin: Option<&'a str>,
    credentials: bool,
}

impl<'a> CorsHeaders<'a> {
    /// `Access-Control-Allow-Origin`, `Vary`, then `Access-Control-Allow-Credentials` if asked.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'static str, &'a str)> {
        let origin = self.origin.map(|o| {
            [
                ("Access-Control-Allow-Origin", o),
                ("Vary", "Origin"),
                ("Access-Control-Allow-Credentials", "true"),
            ]
        });
        let take = match self.origin {
            Some(_) if self.credentials => 3,
            Some(_) => 2,
            None => 0,
        };
        origin.into_iter().flatten().take(take)
    }
}

namespace Usher.Core.Inference;

/// <summary>
/// What kind of expected failure a request met. Frontends map each kind to one HTTP status and one
/// gRPC status code, in one place.
/// </summary>
public enum InferenceErrorKind
{
    /// <summary>The request is malformed or does not fit the model (HTTP 400).</summary>
    InvalidArgument,
    /// <summary>The model or version does not exist (HTTP 404).</summary>
    NotFound,
    /// <summary>The model or version exists but is not ready, or the server is shutting down (HTTP 503).</summary>
    Unavailable,
    /// <summary>A queue or memory bound was reached; the client should retry later (HTTP 503 + Retry-After).</summary>
    ResourceExhausted,
    /// <summary>The request's deadline passed before it could run (HTTP 503).</summary>
    Timeout,
    /// <summary>The client went away (HTTP 499 in logs; nobody reads the answer).</summary>
    Canceled,
    /// <summary>The backend failed while running the model (HTTP 500).</summary>
    Internal,
    /// <summary>The request asks for something the server does not support (HTTP 501).</summary>
    Unsupported,

    /// <summary>An abort injected on purpose (fault injection); <see cref="InferenceError.Status"/> holds the status to answer.</summary>
    InjectedFault,
}

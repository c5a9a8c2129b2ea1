namespace Usher.Cli.Admin;

/// <summary>Why an admin request did not succeed.</summary>
internal enum AdminErrorKind
{
    /// <summary>No answer: connection refused, unknown host, timeout.</summary>
    Unreachable,

    /// <summary>HTTP 401: a token is missing or was refused.</summary>
    Unauthorized,

    /// <summary>Any other error status (400, 404, 409, 5xx), with the server's message.</summary>
    Refused,

    /// <summary>A success status whose body is not the JSON object the contract promises.</summary>
    BadResponse,
}

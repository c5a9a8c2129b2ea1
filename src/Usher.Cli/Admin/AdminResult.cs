using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>The answer to one admin request: the JSON body of a success, or the error.</summary>
internal sealed record AdminResult
{
    private AdminResult(JsonElement body, AdminError? error)
    {
        Body = body;
        Error = error;
    }

    /// <summary>The response body (a JSON object) when <see cref="Error"/> is null.</summary>
    public JsonElement Body { get; }

    /// <summary>Why the request failed; null on success.</summary>
    public AdminError? Error { get; }

    /// <summary>A success with its body.</summary>
    public static AdminResult Success(JsonElement body) => new(body, null);

    /// <summary>A failure.</summary>
    public static AdminResult Failure(AdminError error) => new(default, error);
}

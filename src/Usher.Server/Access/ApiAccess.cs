using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Usher.Server.Hosting;

namespace Usher.Server.Access;

/// <summary>
/// API keys and rate limits on inference and metadata, shared by the REST and gRPC frontends: who a
/// request is (<see cref="Authenticate"/>) and whether it may go on now (<see cref="Limits"/>). Off,
/// and out of the request path altogether, unless <c>server.api_keys_file</c> or
/// <c>server.rate_limits</c> is set.
/// </summary>
internal sealed class ApiAccess : IDisposable
{
    /// <summary>The header that may carry the key instead of <c>Authorization: Bearer</c>.</summary>
    public const string ApiKeyHeader = "x-api-key";

    private const string Scheme = "Bearer";

    public ApiAccess(ServerOptions server, TimeProvider time, ILogger<ApiAccess> logger)
    {
        ArgumentNullException.ThrowIfNull(server);
        Keys = server.ApiKeysFile is { Length: > 0 } file ? new CredentialFileWatcher(file, "server.api_keys_file", false, time, logger) : null;
        Limits = server.RateLimits is { Any: true } limits ? new RateLimits(limits, time) : null;
    }

    /// <summary>The API keys, kept current; null when requests need none.</summary>
    public CredentialFileWatcher? Keys { get; }

    /// <summary>The rate limits; null when there are none.</summary>
    public RateLimits? Limits { get; }

    /// <summary>Whether anything is checked at all.</summary>
    public bool Enabled => Keys is not null || Limits is not null;

    /// <summary>
    /// Checks the request's key when keys are required, and makes its caller the request's user;
    /// null when it may go on.
    /// </summary>
    public AccessDenial? Authenticate(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Keys is null)
        {
            return null;
        }

        var presented = Presented(context.Request.Headers);
        var credential = presented.IsEmpty ? null : Keys.Current.Find(presented);
        if (credential is not null)
        {
            context.User = credential.Principal;
            return null;
        }

        var why = presented.IsEmpty ? "no key" : "a key the server does not know";
        return new AccessDenial(
            AccessDenialKind.Unauthenticated,
            $"this server needs an API key: send 'Authorization: Bearer KEY' or '{ApiKeyHeader}: KEY' with a key of server.api_keys_file; the request had {why}");
    }

    /// <summary>The caller a request's rate limits count against: its key's name, or empty without keys.</summary>
    public static string CallerOf(HttpContext context)
        => context.User.Identity is { AuthenticationType: Credential.AuthenticationType } identity ? identity.Name ?? string.Empty : string.Empty;

    // "Authorization: Bearer KEY" (the scheme in any case), else "x-api-key: KEY".
    private static ReadOnlySpan<char> Presented(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString().AsSpan().Trim(' ');
        var space = authorization.IndexOf(' ');
        if (space > 0 && authorization[..space].Equals(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return authorization[(space + 1)..].TrimStart(' ');
        }

        return headers[ApiKeyHeader].ToString().AsSpan().Trim(' ');
    }

    public void Dispose()
    {
        Keys?.Dispose();
    }
}

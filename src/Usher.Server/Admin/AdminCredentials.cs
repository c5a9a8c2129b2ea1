using System.Security.Claims;
using Microsoft.Extensions.Logging;
using Usher.Server.Access;

namespace Usher.Server.Admin;

/// <summary>
/// The admin tokens in force: <c>admin.token</c> (named <c>admin</c>), or the tokens of
/// <c>admin.token_file</c>, kept current as the file changes; none when neither is set, when only
/// loopback clients are answered (as <see cref="Loopback"/>).
/// </summary>
internal sealed class AdminCredentials : IDisposable
{
    /// <summary>The name the audit trail gives a loopback client when no token is configured.</summary>
    public const string LoopbackName = "loopback";

    private readonly CredentialSet? _inline;
    private readonly CredentialFileWatcher? _file;

    public AdminCredentials(AdminOptions options, TimeProvider time, ILogger<AdminCredentials> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TokenFile is { Length: > 0 } file)
        {
            _file = new CredentialFileWatcher(file, "admin.token_file", allowBareToken: true, time, logger);
        }
        else if (options.Token is { Length: > 0 } token)
        {
            _inline = new CredentialSet([new Credential(CredentialFile.BareTokenName, CredentialSet.HashOf(token))]);
        }
    }

    /// <summary>The user of an admin request from a loopback client when no token is configured.</summary>
    public static ClaimsPrincipal Loopback { get; } = new Credential(LoopbackName, []).Principal;

    /// <summary>Whether requests must carry a token.</summary>
    public bool Required => _inline is not null || _file is not null;

    /// <summary>The file's watcher, when the tokens come from a file.</summary>
    public CredentialFileWatcher? File => _file;

    /// <summary>The token <paramref name="presented"/> is, or null.</summary>
    public Credential? Find(ReadOnlySpan<char> presented) => (_file?.Current ?? _inline)?.Find(presented);

    public void Dispose() => _file?.Dispose();
}

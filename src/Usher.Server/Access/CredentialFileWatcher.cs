using Microsoft.Extensions.Logging;
using Usher.Server.Hosting;

namespace Usher.Server.Access;

/// <summary>
/// The credentials of one file, kept current: read at start (a file that cannot be used stops
/// start-up, naming <c>file:line</c>), then checked every <see cref="PollInterval"/> on the injected
/// clock. A change that reads well replaces the whole set at once; one that does not keeps the
/// previous credentials and logs each problem. Polling, rather than a file-system watcher, sees a
/// Kubernetes secret's symlink swap and a network file system alike, and tests drive it with fake time.
/// </summary>
internal sealed partial class CredentialFileWatcher : IDisposable
{
    /// <summary>How often the file is checked for a change.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    private readonly string _path;
    private readonly string _what;
    private readonly bool _allowBareToken;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly Lock _polling = new();
    private volatile CredentialSet _current;
    private byte[] _digest;
    private string? _lastProblem;

    /// <param name="path">The file.</param>
    /// <param name="what">The setting that names it (<c>server.api_keys_file</c>), for messages.</param>
    /// <param name="allowBareToken">Whether a file of one bare secret is allowed (an admin token file).</param>
    /// <param name="time">The clock that drives the polling.</param>
    /// <param name="logger">Where loads and problems are logged (names, never secrets).</param>
    /// <exception cref="SettingsException">The file cannot be used; every problem is listed.</exception>
    public CredentialFileWatcher(string path, string what, bool allowBareToken, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(time);
        _path = Path.GetFullPath(path);
        _what = what;
        _allowBareToken = allowBareToken;
        _logger = logger;
        var content = CredentialFile.Read(_path, allowBareToken);
        if (content.Credentials is null)
        {
            throw new SettingsException([.. content.Problems.Select(p => $"{what}: {p}")]);
        }

        _current = content.Credentials;
        _digest = content.Digest!;
        Log.Loaded(_logger, _what, _path, _current.Count, string.Join(", ", _current.Names));
        _timer = time.CreateTimer(_ => Poll(), null, PollInterval, PollInterval);
    }

    /// <summary>The credentials in force.</summary>
    public CredentialSet Current => _current;

    /// <summary>Reads the file now; true when it changed and its new credentials are in force.</summary>
    public bool Poll()
    {
        lock (_polling)
        {
            try
            {
                var content = CredentialFile.Read(_path, _allowBareToken);
                if (content.Digest is { } digest && digest.AsSpan().SequenceEqual(_digest))
                {
                    return false;
                }

                if (content.Credentials is null)
                {
                    // A file being rewritten, or a mistake: serve on with what worked, say what is wrong once per change.
                    var problems = string.Join("; ", content.Problems);
                    if (content.Digest is not null)
                    {
                        _digest = content.Digest;
                    }

                    if (problems != _lastProblem)
                    {
                        _lastProblem = problems;
                        Log.ReloadFailed(_logger, _what, _path, problems);
                    }

                    return false;
                }

                _current = content.Credentials;
                _digest = content.Digest!;
                _lastProblem = null;
                Log.Loaded(_logger, _what, _path, _current.Count, string.Join(", ", _current.Names));
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.ReloadFailed(_logger, _what, _path, e.Message);
                return false;
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}

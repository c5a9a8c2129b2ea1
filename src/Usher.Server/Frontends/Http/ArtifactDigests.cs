using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Usher.Server.Frontends.Http;

/// <summary>
/// The SHA-256 of each model file the artifact route serves, computed once per file content (path,
/// length and write time), so that a resumed download does not hash the file again.
/// </summary>
internal sealed class ArtifactDigests
{
    private readonly ConcurrentDictionary<string, (long Length, DateTime Written, string Sha256)> _digests = new(StringComparer.Ordinal);

    /// <summary>The lowercase hex SHA-256 of <paramref name="file"/>.</summary>
    public async Task<string> GetAsync(FileInfo file, CancellationToken cancellationToken)
    {
        if (_digests.TryGetValue(file.FullName, out var known) && known.Length == file.Length && known.Written == file.LastWriteTimeUtc)
        {
            return known.Sha256;
        }

        var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            _digests[file.FullName] = (file.Length, file.LastWriteTimeUtc, sha);
            return sha;
        }
    }
}

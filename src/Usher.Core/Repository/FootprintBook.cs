using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Usher.Core.Repository;

/// <summary>
/// What loads on demand measured under the memory budget (docs/density.md): the bytes a version's load
/// added to the process's RSS, per model file content (its SHA-256), so that every copy of one file is
/// counted by the one measurement, and a version is counted by what a load of its file really took
/// rather than by its file's size times <see cref="DensitySettings.SizeFactor"/>. Before the first load
/// of a file, the estimate stands.
/// </summary>
internal sealed class FootprintBook
{
    // The version's file (path and stamp: size and time written) to its content hash, hashed once.
    private readonly ConcurrentDictionary<string, string> _hashes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _measured = new(StringComparer.Ordinal);

    /// <summary>How many files have a measurement.</summary>
    public int Count => _measured.Count;

    /// <summary>The measured bytes of <paramref name="version"/>'s file when its content is hashed already and measured; null otherwise (reads no file).</summary>
    public long? Known(RepositoryVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return _hashes.TryGetValue(Key(version), out var hash) && _measured.TryGetValue(hash, out var bytes) ? bytes : null;
    }

    /// <summary>
    /// The measured bytes of <paramref name="version"/>'s file, or null when no load of the same content
    /// was measured yet; hashes the file the first time it is asked about (null when it cannot be read:
    /// the load that follows reports why).
    /// </summary>
    public async ValueTask<long?> LookupAsync(RepositoryVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        var key = Key(version);
        if (!_hashes.TryGetValue(key, out var hash))
        {
            try
            {
                var file = new FileStream(version.ModelPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
                await using (file.ConfigureAwait(false))
                {
                    hash = Convert.ToHexString(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            _hashes[key] = hash;
        }

        return _measured.TryGetValue(hash, out var bytes) ? bytes : null;
    }

    /// <summary>
    /// Records that a load of <paramref name="version"/> added <paramref name="measuredBytes"/> to the
    /// RSS, and returns the bytes to count it for: the measurement, but never less than the file
    /// (<paramref name="fileBytes"/>; the weights are in memory, and a delta below them means other
    /// memory was freed during the load). Its file must have been looked up (<see cref="LookupAsync"/>);
    /// otherwise the measurement is counted for this load and not kept.
    /// </summary>
    public long Record(RepositoryVersion version, long measuredBytes, long fileBytes)
    {
        ArgumentNullException.ThrowIfNull(version);
        var counted = Math.Max(measuredBytes, fileBytes);
        if (_hashes.TryGetValue(Key(version), out var hash))
        {
            // The latest load's measurement: the first load of the process also pays for one-time
            // costs (the native library's pages, code compiled once) that later loads do not.
            _measured[hash] = counted;
        }

        return counted;
    }

    private static string Key(RepositoryVersion version) => version.ModelPath + "|" + version.Stamp;
}

namespace Usher.Cli.Batch;

/// <summary>
/// What a run has committed, rewritten atomically after every chunk: the input's identity (path,
/// size, modification time), the job's settings, and each committed chunk with its checksums.
/// A resumed run continues only when the input and the settings are the same.
/// </summary>
/// <param name="Input">The input file's full path.</param>
/// <param name="InputBytes">Its size.</param>
/// <param name="InputModifiedUtc">Its last write time.</param>
/// <param name="Job">The settings that decide the output's bytes (model and version, mapping, format, rows per chunk, range).</param>
/// <param name="Chunks">The committed chunks, in order, from chunk 0.</param>
internal sealed record BatchManifest(string Input, long InputBytes, DateTime InputModifiedUtc, string Job, IReadOnlyList<ChunkRecord> Chunks)
{
    /// <summary>
    /// The format this build writes: 2, chunks with XXH128 checksums. Format 1 (builds before 2026-12-04)
    /// recorded SHA-256 checksums under other names, which this build cannot verify.
    /// </summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>The manifest's format version.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;
}

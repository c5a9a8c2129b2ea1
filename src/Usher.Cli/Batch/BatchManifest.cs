namespace Usher.Cli.Batch;

/// <summary>
/// The first line of a run's manifest (<see cref="ChunkStore"/>): the input's identity (path, size,
/// modification time) and the job's settings; a <see cref="ChunkRecord"/> line per committed chunk
/// follows. A resumed run continues only when the input and the settings are the same.
/// </summary>
/// <param name="Input">The input file's full path.</param>
/// <param name="InputBytes">Its size.</param>
/// <param name="InputModifiedUtc">Its last write time.</param>
/// <param name="Job">The settings that decide the output's bytes (model and version, mapping, format, rows per chunk, range).</param>
internal sealed record BatchManifest(string Input, long InputBytes, DateTime InputModifiedUtc, string Job)
{
    /// <summary>
    /// The format this build writes: 3, a journal (<c>manifest.jsonl</c>) of the chunks appended to one output
    /// file, each with the output's and the errors file's committed length and XXH128 checksums. Formats 1 and 2
    /// (<c>manifest.json</c>, builds before 2026-12-05) kept a part file per chunk; 1 with SHA-256 checksums.
    /// </summary>
    public const int CurrentFormatVersion = 3;

    /// <summary>The manifest's format version.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;
}

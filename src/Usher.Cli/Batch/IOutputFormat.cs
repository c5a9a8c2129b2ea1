namespace Usher.Cli.Batch;

/// <summary>
/// Writes scored chunks as part files, and joins committed parts into the final file. A part
/// holds only its rows; the final file is a function of the parts alone, so a resumed run writes
/// the same bytes as an uninterrupted one.
/// </summary>
internal interface IOutputFormat
{
    /// <summary>The part's bytes for <paramref name="chunk"/>; the caller disposes it once committed.</summary>
    Task<EncodedPart> WritePartAsync(ScoredChunk chunk, CancellationToken cancellationToken);

    /// <summary>Writes the final file from the parts, in order, to <paramref name="output"/>.</summary>
    Task AssembleAsync(IReadOnlyList<string> parts, Stream output, CancellationToken cancellationToken);
}

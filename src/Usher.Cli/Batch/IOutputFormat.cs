namespace Usher.Cli.Batch;

/// <summary>
/// Writes scored chunks as parts, and says how the parts make the output: the output is
/// <see cref="Start"/>, then each committed part's rows (<see cref="Split"/>) appended in order, then
/// what <see cref="FinishAsync"/> writes after the last. The output is a function of the parts alone,
/// so a resumed run writes the same bytes as an uninterrupted one.
/// </summary>
internal interface IOutputFormat
{
    /// <summary>The bytes the output starts with, before the first chunk's (a CSV header, Parquet's magic).</summary>
    ReadOnlySpan<byte> Start { get; }

    /// <summary>The part's bytes for <paramref name="chunk"/>; the caller disposes it once committed.</summary>
    Task<EncodedPart> WritePartAsync(ScoredChunk chunk, CancellationToken cancellationToken);

    /// <summary>
    /// Where in <paramref name="part"/> its rows' bytes are (appended to the output as they are) and what
    /// of it the output's end needs (a Parquet part's footer; empty for text). Throws
    /// <see cref="InvalidDataException"/> for a part this format did not write.
    /// </summary>
    PartLayout Split(ReadOnlySpan<byte> part);

    /// <summary>
    /// Writes what follows the last chunk to <paramref name="output"/>, positioned at its end: nothing for
    /// text, the footer for Parquet. <paramref name="chunks"/> are the committed chunks' trailers and
    /// where their rows start in the output.
    /// </summary>
    Task FinishAsync(Stream output, IReadOnlyList<(byte[] Trailer, long Offset)> chunks, CancellationToken cancellationToken);
}

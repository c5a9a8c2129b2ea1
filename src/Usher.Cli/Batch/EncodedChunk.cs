namespace Usher.Cli.Batch;

/// <summary>A scored chunk encoded and ready to commit.</summary>
/// <param name="Index">The chunk's number.</param>
/// <param name="FirstRow">Its first data row (0-based).</param>
/// <param name="Rows">Rows read.</param>
/// <param name="Errors">Rows that failed.</param>
/// <param name="Output">The output part's bytes, given back once committed.</param>
/// <param name="ErrorLines">The errors part's bytes.</param>
/// <param name="FirstError">The first failed row, for the summary.</param>
internal sealed record EncodedChunk(long Index, long FirstRow, int Rows, int Errors, EncodedPart Output, byte[] ErrorLines, string? FirstError);

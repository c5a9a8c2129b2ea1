namespace Usher.Cli.Batch;

/// <summary>One committed chunk in the manifest.</summary>
/// <param name="Index">The chunk's number.</param>
/// <param name="FirstRow">Its first data row (0-based) in the input.</param>
/// <param name="Rows">Rows read.</param>
/// <param name="Errors">Rows that went to the errors file.</param>
/// <param name="OutputSha256">SHA-256 of its output part, hex.</param>
/// <param name="ErrorsSha256">SHA-256 of its errors part, hex.</param>
internal sealed record ChunkRecord(long Index, long FirstRow, int Rows, int Errors, string OutputSha256, string ErrorsSha256);

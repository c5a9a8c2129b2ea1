namespace Usher.Cli.Batch;

/// <summary>One committed chunk in the manifest.</summary>
/// <param name="Index">The chunk's number.</param>
/// <param name="FirstRow">Its first data row (0-based) in the input.</param>
/// <param name="Rows">Rows read.</param>
/// <param name="Errors">Rows that went to the errors file.</param>
/// <param name="OutputChecksum">XXH128 of its output part, hex (null in a manifest of an earlier build, whose chunks are scored again).</param>
/// <param name="ErrorsChecksum">XXH128 of its errors part, hex.</param>
internal sealed record ChunkRecord(long Index, long FirstRow, int Rows, int Errors, string? OutputChecksum, string? ErrorsChecksum);
